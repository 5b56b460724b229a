package guard_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/guard"
)

// TestRefusalsAreIndistinguishable: whatever is wrong with a key, the
// client gets the same 401; only the audit log knows why.
func TestRefusalsAreIndistinguishable(t *testing.T) {
	e := newEnv(t, func(c *guard.Config) { c.FailureBurst = 100 })
	ctx := context.Background()
	u := e.user(gatehouse.RoleAuthor)
	good := e.key(u, nil, gatehouse.ScopeRead)
	expired := e.key(u, func(k *gatehouse.APIKey) { k.Expires = t0.Add(-time.Second) }, gatehouse.ScopeRead)
	revoked := e.key(u, nil, gatehouse.ScopeRead)
	if err := e.store.RevokeKey(ctx, revoked[10:26], t0); err != nil {
		t.Fatal(err)
	}
	off := e.user(gatehouse.RoleAuthor)
	disabledOwner := e.key(off, nil, gatehouse.ScopeRead)
	off.Disabled = true
	if err := e.store.UpdateUser(ctx, off); err != nil {
		t.Fatal(err)
	}
	unknown, _ := apikey.New(rand.Reader) // well-formed, never stored
	wrongSecret, _ := apikey.Roll(good[10:26], rand.Reader)
	// The last character of the checksum, changed: to "x", unless it is
	// "x" already (one key in 32), which would leave the key valid.
	badSum := good[:len(good)-1] + "x"
	if good[len(good)-1] == 'x' {
		badSum = good[:len(good)-1] + "y"
	}

	tests := []struct {
		name, text, reason, keyID string
		userID                    int64
	}{
		{"malformed", "gatehouse_notakey", "malformed key", "", 0},
		{"bad checksum", badSum, "malformed key", "", 0},
		{"unknown", unknown.String(), "unknown key", unknown.ID, 0},
		{"wrong secret", wrongSecret.String(), "wrong secret", good[10:26], u.ID},
		{"expired", expired, "expired", expired[10:26], u.ID},
		{"revoked", revoked, "revoked", revoked[10:26], u.ID},
		{"disabled owner", disabledOwner, "owner disabled", disabledOwner[10:26], off.ID},
	}
	h := e.handler(gatehouse.ScopeRead)
	var first string
	// One address each: refusals of one address, reason and key are
	// recorded together.
	addr := func(i int) string { return "192.0.2." + strconv.Itoa(10+i) }
	for i, tt := range tests {
		w := send(h, addr(i), "/same/path", "Bearer "+tt.text)
		if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != guard.ChallengeInvalid {
			t.Fatalf("%s: %d %q", tt.name, w.Code, w.Header().Get("WWW-Authenticate"))
		}
		if d := details(t, w); d.Error != "invalid_token" || d.Detail != guard.InvalidKeyMessage {
			t.Fatalf("%s: problem %+v", tt.name, d)
		}
		if i == 0 {
			first = w.Body.String()
		} else if w.Body.String() != first {
			t.Errorf("%s: body %s differs from %s", tt.name, w.Body, first)
		}
	}
	evs := e.rejections()
	if len(evs) != len(tests) {
		t.Fatalf("%d key.reject events, want %d", len(evs), len(tests))
	}
	for i, tt := range tests {
		ev := evs[i]
		wantPrefix := ""
		if tt.keyID != "" {
			wantPrefix = "gatehouse_" + tt.keyID
		}
		if ev.Reason != tt.reason || ev.KeyID != tt.keyID || ev.KeyPrefix != wantPrefix || ev.UserID != tt.userID || ev.Addr != addr(i) || ev.Detail != "count=1" {
			t.Errorf("%s: event %+v", tt.name, *ev)
		}
	}
	// No secret anywhere: not in the audit log, not in the logs.
	for _, tt := range tests {
		secret := tt.text[min(27, len(tt.text)):]
		for _, ev := range evs {
			if secret != "" && strings.Contains(ev.KeyPrefix+ev.Reason+ev.Detail+ev.KeyID, secret) {
				t.Errorf("%s: secret in audit event %+v", tt.name, *ev)
			}
		}
		if secret != "" && strings.Contains(e.logs.String(), secret) {
			t.Errorf("%s: secret in the logs", tt.name)
		}
	}
}

func TestRollGracePeriod(t *testing.T) {
	e := newEnv(t, nil)
	e.run()
	ctx := context.Background()
	old := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	e.warm(h, old)
	rolled, err := apikey.Roll(old[10:26], rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	graceEnd := t0.Add(time.Hour)
	if err := e.store.RollKey(ctx, rolled.ID, rolled.Hash(), t0, graceEnd); err != nil {
		t.Fatal(err)
	}
	e.g.InvalidateKey(rolled.ID)
	steps := []struct {
		at        time.Time
		old, next int
	}{
		{t0, 200, 200},
		{graceEnd.Add(-time.Millisecond), 200, 200},
		{graceEnd, 401, 200},
	}
	for _, s := range steps {
		e.clock.Add(s.at.Sub(e.clock.Now()))
		if got := send(h, "192.0.2.1", "/", "Bearer "+old).Code; got != s.old {
			t.Errorf("old secret at %v: %d, want %d", s.at, got, s.old)
		}
		if got := send(h, "192.0.2.1", "/", "Bearer "+rolled.String()).Code; got != s.next {
			t.Errorf("new secret at %v: %d, want %d", s.at, got, s.next)
		}
	}
	if evs := e.rejections(); len(evs) != 1 || evs[0].Reason != "previous secret past its grace period" {
		t.Errorf("rejections %v", evs)
	}
}

func TestRollWithoutGraceRefusesOldSecretAtOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.run()
	old := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	e.warm(h, old)
	rolled, _ := apikey.Roll(old[10:26], rand.Reader)
	if err := e.store.RollKey(context.Background(), rolled.ID, rolled.Hash(), t0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	e.g.InvalidateKey(rolled.ID)
	if got := send(h, "192.0.2.1", "/", "Bearer "+old).Code; got != 401 {
		t.Fatalf("old secret after a roll without grace: %d", got)
	}
}

func TestIdleExpiry(t *testing.T) {
	const idle = time.Hour
	tests := []struct {
		name  string
		steps []time.Duration // clock advances before each request
		want  []int
	}{
		{"unused key expires", []time.Duration{idle}, []int{401}},
		{"unused key just in time", []time.Duration{idle - time.Millisecond}, []int{200}},
		{"each use restarts the count", []time.Duration{50 * time.Minute, 50 * time.Minute, 50 * time.Minute}, []int{200, 200, 200}},
		{"idle after a use", []time.Duration{10 * time.Minute, idle}, []int{200, 401}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *guard.Config) { c.IdleExpiry = idle })
			e.run()
			key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
			h := e.handler(gatehouse.ScopeRead)
			for i, d := range tt.steps {
				e.clock.Add(d)
				if got := send(h, "192.0.2.1", "/", "Bearer "+key).Code; got != tt.want[i] {
					t.Fatalf("request %d: %d, want %d", i, got, tt.want[i])
				}
			}
		})
	}
}

// TestIdleExpiryCountsUnflushedUses: a use not yet written to the store
// still counts after the cache entry is dropped.
func TestIdleExpiryCountsUnflushedUses(t *testing.T) {
	e := newEnv(t, func(c *guard.Config) { c.IdleExpiry = time.Hour })
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	e.clock.Add(50 * time.Minute)
	if got := send(h, "192.0.2.1", "/", "Bearer "+key).Code; got != 200 {
		t.Fatal(got)
	}
	e.g.InvalidateKey(key[10:26])
	e.clock.Add(50 * time.Minute)
	if got := send(h, "192.0.2.1", "/", "Bearer "+key).Code; got != 200 {
		t.Fatalf("100 minutes after creation, 50 after a use: %d", got)
	}
}

func TestStoreDownFailsClosed(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	w := send(e.handler(gatehouse.ScopeRead), "192.0.2.1", "/", "Bearer "+key)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("store closed: %d, want 503", w.Code)
	}
	_, err := e.g.Verify(context.Background(), key, "192.0.2.1")
	if gatehouse.ErrorCode(err) != gatehouse.CodeUnavailable {
		t.Fatalf("Verify: %v", err)
	}
}

func TestVerifyReturnsSharedPrincipal(t *testing.T) {
	e := newEnv(t, nil)
	e.run()
	u := e.user(gatehouse.RoleEditor)
	key := e.key(u, func(k *gatehouse.APIKey) { k.Expires = t0.Add(time.Hour) }, gatehouse.ScopeRead, gatehouse.ScopeWrite, gatehouse.ScopeAdmin)
	e.warm(e.handler(""), key)
	p1, err := e.g.Verify(context.Background(), key, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := e.g.Verify(context.Background(), key, "192.0.2.1")
	want := gatehouse.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Kind: u.Kind, Role: u.Role,
		Method: gatehouse.MethodAPIKey, KeyID: key[10:26], KeyExpires: t0.Add(time.Hour),
		Scopes: gatehouse.NewScopes(gatehouse.ScopeRead, gatehouse.ScopeWrite)}
	if p1 != p2 || p1.UserID != want.UserID || p1.Email != want.Email || p1.Name != want.Name || p1.Kind != want.Kind ||
		p1.Role != want.Role || p1.Method != want.Method || p1.KeyID != want.KeyID || !p1.KeyExpires.Equal(want.KeyExpires) ||
		!slices.Equal(p1.Scopes, want.Scopes) {
		t.Fatalf("principal %+v (shared %v), want %+v", *p1, p1 == p2, want)
	}
}
