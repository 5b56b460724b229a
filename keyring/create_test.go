package keyring_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

func TestCreate(t *testing.T) {
	e := newEnv(t, keyring.Config{})
	u := e.user("deployer", gatehouse.RoleAuthor)
	ctx := context.Background()
	c, err := e.svc.Create(ctx, keyring.Actor{UserID: 7, Addr: "192.0.2.1"}, u.ID, keyring.CreateRequest{
		Label: "  deploy ☃  ", Scopes: []string{"write", "read", "write"}, ExpiresIn: "90d",
	})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := apikey.Parse(c.Secret)
	if err != nil {
		t.Fatalf("secret does not parse: %v", err)
	}
	stored, err := e.store.Key(ctx, c.Key.ID)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case parsed.ID != stored.ID || stored.Hash != parsed.Hash() || stored.Hash != apikey.Hash(c.Secret):
		t.Errorf("stored id/hash do not match the secret")
	case stored.Prefix != apikey.DisplayPrefix(stored.ID) || !strings.HasPrefix(c.Secret, stored.Prefix):
		t.Errorf("prefix %q", stored.Prefix)
	case stored.Label != "deploy ☃":
		t.Errorf("label %q, want it trimmed", stored.Label)
	case stored.Scopes.String() != "read write":
		t.Errorf("scopes %q, want de-duplicated read write", stored.Scopes)
	case !stored.Expires.Equal(start.Add(90 * 24 * time.Hour)):
		t.Errorf("expires %v", stored.Expires)
	case !stored.Created.Equal(start) || !c.Key.Created.Equal(stored.Created):
		t.Errorf("created %v, returned %v", stored.Created, c.Key.Created)
	}
	ev, err := e.store.AuditEvents(ctx, gatehouse.AuditFilter{})
	if err != nil || len(ev) != 1 {
		t.Fatalf("audit: %v %d events", err, len(ev))
	}
	a := ev[0]
	if a.Action != gatehouse.ActionKeyCreate || a.ActorID != 7 || a.UserID != u.ID || a.KeyID != stored.ID ||
		a.KeyPrefix != stored.Prefix || a.Addr != "192.0.2.1" || !strings.Contains(a.Detail, "deploy ☃") || !strings.Contains(a.Detail, "read write") {
		t.Errorf("audit event %+v", a)
	}
}

func TestCreateLabelBoundaries(t *testing.T) {
	e := newEnv(t, keyring.Config{})
	u := e.user("labels", gatehouse.RoleReader)
	for _, label := range []string{
		"x",
		strings.Repeat("é", keyring.MaxLabelLength), // 100 runes, 200 bytes
		"emoji 👩\u200d💻 family",                     // a zero-width joiner is fine
		"日本語のラベル",
	} {
		c := e.create(u.ID, label, "read")
		if c.Key.Label != label {
			t.Errorf("label %q stored as %q", label, c.Key.Label)
		}
	}
}

func TestCreateRefused(t *testing.T) {
	e := newEnv(t, keyring.Config{Scopes: gatehouse.NewScopes(append(gatehouse.BuiltinScopes, "blog.posts:write")...)})
	reader := e.user("reader", gatehouse.RoleReader)
	author := e.user("author", gatehouse.RoleAuthor)
	disabled := e.user("disabled", gatehouse.RoleAdmin)
	disabled.Disabled = true
	if err := e.store.UpdateUser(context.Background(), disabled); err != nil {
		t.Fatal(err)
	}
	e.create(author.ID, "taken", "read")
	past := start.Add(-time.Minute)
	far := start.Add(11 * 365 * 24 * time.Hour)
	tests := []struct {
		name  string
		owner int64
		req   keyring.CreateRequest
		code  gatehouse.Code
	}{
		{"empty label", author.ID, keyring.CreateRequest{Label: "", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"blank label", author.ID, keyring.CreateRequest{Label: " \t ", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"101 characters", author.ID, keyring.CreateRequest{Label: strings.Repeat("é", 101), Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"bell", author.ID, keyring.CreateRequest{Label: "a\ab", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"newline", author.ID, keyring.CreateRequest{Label: "a\nb", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"escape sequence", author.ID, keyring.CreateRequest{Label: "a\x1b[2Jb", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"C1 control", author.ID, keyring.CreateRequest{Label: "a\u0085b", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"line separator", author.ID, keyring.CreateRequest{Label: "a\u2028b", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"paragraph separator", author.ID, keyring.CreateRequest{Label: "a\u2029b", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"bidi override", author.ID, keyring.CreateRequest{Label: "txt.\u202eexe", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"bidi isolate", author.ID, keyring.CreateRequest{Label: "a\u2067b", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"invalid UTF-8", author.ID, keyring.CreateRequest{Label: "a\xffb", Scopes: []string{"read"}}, gatehouse.CodeInvalid},
		{"duplicate label", author.ID, keyring.CreateRequest{Label: "taken", Scopes: []string{"read"}}, gatehouse.CodeConflict},
		{"duplicate label after trim", author.ID, keyring.CreateRequest{Label: " taken ", Scopes: []string{"read"}}, gatehouse.CodeConflict},
		{"no scopes", author.ID, keyring.CreateRequest{Label: "k"}, gatehouse.CodeInvalid},
		{"empty scope", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{""}}, gatehouse.CodeInvalid},
		{"unknown scope", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read", "root"}}, gatehouse.CodeInvalid},
		{"scope in wrong case", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"READ"}}, gatehouse.CodeInvalid},
		{"reader asks write", reader.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read", "write"}}, gatehouse.CodeForbidden},
		{"author asks admin", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"admin"}}, gatehouse.CodeForbidden},
		{"disabled owner", disabled.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}}, gatehouse.CodeForbidden},
		{"unknown owner", 9999, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}}, gatehouse.CodeNotFound},
		{"both expiries", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}, ExpiresIn: "1d", ExpiresAt: &far}, gatehouse.CodeInvalid},
		{"expires in the past", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}, ExpiresAt: &past}, gatehouse.CodeInvalid},
		{"expires now", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}, ExpiresAt: &start}, gatehouse.CodeInvalid},
		{"expires too far", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}, ExpiresAt: &far}, gatehouse.CodeInvalid},
		{"expires in zero", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}, ExpiresIn: "0d"}, gatehouse.CodeInvalid},
		{"expires in negative", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}, ExpiresIn: "-1h"}, gatehouse.CodeInvalid},
		{"expires in junk", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}, ExpiresIn: "soon"}, gatehouse.CodeInvalid},
		{"expires in 11y", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}, ExpiresIn: "11y"}, gatehouse.CodeInvalid},
		{"expires in overflow", author.ID, keyring.CreateRequest{Label: "k", Scopes: []string{"read"}, ExpiresIn: "4000000000y"}, gatehouse.CodeInvalid},
	}
	owners := []int64{reader.ID, author.ID, disabled.ID}
	for _, tt := range tests {
		before := e.snapshot(owners...)
		_, err := e.svc.Create(context.Background(), keyring.Actor{}, tt.owner, tt.req)
		wantCode(t, tt.name, err, tt.code)
		if msg := gatehouse.ErrorMessage(err); tt.code != gatehouse.CodeNotFound && (msg == "" || strings.Contains(msg, "internal")) {
			t.Errorf("%s: unclear message %q", tt.name, msg)
		}
		e.unchanged(tt.name, before, owners...)
	}
}

func TestCreateDeploymentScope(t *testing.T) {
	e := newEnv(t, keyring.Config{Scopes: gatehouse.Scopes{"blog.posts:write", "read"}})
	u := e.user("reader", gatehouse.RoleReader)
	c := e.create(u.ID, "blog", "blog.posts:write")
	if !c.Key.Scopes.Has("blog.posts:write") {
		t.Errorf("scopes %v", c.Key.Scopes)
	}
	if _, err := e.svc.Create(context.Background(), keyring.Actor{}, u.ID, keyring.CreateRequest{Label: "w", Scopes: []string{"write"}}); gatehouse.ErrorCode(err) != gatehouse.CodeInvalid {
		t.Errorf("a scope the deployment does not list: %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration // 0: refused
	}{
		{"90d", 90 * day}, {"2w", 14 * day}, {"1y", 365 * day}, {"10y", 3650 * day},
		{"12h", 12 * time.Hour}, {"30m", 30 * time.Minute}, {"1h30m", 90 * time.Minute}, {" 7d ", 7 * day},
		{"", 0}, {"d", 0}, {"1.5d", 0}, {"-1d", 0}, {"+1d", 0}, {"0s", 0}, {"-5m", 0}, {"1x", 0}, {"11y", 0},
		{"3651d", 0}, {"99999999999999999999d", 0}, {"1d2h", 0}, {"ninety days", 0},
	}
	for _, tt := range tests {
		got, err := keyring.ParseDuration(tt.in)
		if tt.want == 0 {
			wantCode(t, tt.in, err, gatehouse.CodeInvalid)
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	e := newEnv(t, keyring.Config{})
	for name, cfg := range map[string]keyring.Config{
		"no store":           {},
		"bad scope name":     {Store: e.store, Scopes: gatehouse.Scopes{"Read"}},
		"negative idle time": {Store: e.store, IdleExpiry: -time.Hour},
	} {
		if _, err := keyring.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func BenchmarkCreate(b *testing.B) {
	e := newEnv(b, keyring.Config{})
	u := e.user("bench", gatehouse.RoleAuthor)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		req := keyring.CreateRequest{Label: "key " + strconv.Itoa(i), Scopes: []string{"read", "write"}}
		if _, err := e.svc.Create(ctx, keyring.Actor{}, u.ID, req); err != nil {
			b.Fatal(err)
		}
	}
}
