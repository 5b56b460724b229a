package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

func TestUsersAdd(t *testing.T) {
	c := newOpCLI(t)
	if id := strings.TrimSpace(c.ok("users", "add", "--service", "ci-bot", "--role", "author")); id != "1" {
		t.Errorf("users add printed %q, want the new id", id)
	}
	var ada userView
	c.jsonOf(&ada, "users", "add", "--email", "Ada@Example.COM", "--role", "reader", "--name", "Ada Lovelace")
	want := userView{ID: 2, Kind: gatehouse.KindPerson, Issuer: gatehouse.IssuerInvited, Subject: "ada@example.com",
		Email: "ada@example.com", Name: "Ada Lovelace", Role: gatehouse.RoleReader}
	ada.Created, ada.Updated = want.Created, want.Updated
	if ada != want {
		t.Errorf("invited user %+v, want %+v", ada, want)
	}
	var users []userView
	c.jsonOf(&users, "users", "list")
	if len(users) != 2 || users[0].Issuer != gatehouse.IssuerService || users[0].Subject != "ci-bot" ||
		users[0].Kind != gatehouse.KindService || users[0].Role != gatehouse.RoleAuthor {
		t.Errorf("users %+v", users)
	}
	table := c.ok("users", "list")
	for _, s := range []string{"ci-bot", "ada@example.com", "Ada Lovelace", "reader", "enabled"} {
		if !strings.Contains(table, s) {
			t.Errorf("users list does not show %q:\n%s", s, table)
		}
	}
	var audit []auditView
	c.jsonOf(&audit, "audit")
	if len(audit) != 2 || audit[0].Action != gatehouse.ActionUserCreate || audit[0].UserID != 2 || audit[0].ActorID != 0 {
		t.Errorf("audit %+v", audit)
	}
}

func TestUsersAddRefused(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--service", "taken", "--role", "reader")
	c.ok("users", "add", "--email", "taken@example.com", "--role", "reader")
	c.addPerson("https://idp.example", "g-1", "Grace@example.com")
	tests := []struct {
		name string
		want string
		args []string
	}{
		{"unknown role", `unknown role "root"`, []string{"--service", "x", "--role", "root"}},
		{"no role", "--role is required", []string{"--service", "x"}},
		{"neither kind", "either --service", []string{"--role", "reader"}},
		{"both kinds", "either --service", []string{"--service", "x", "--email", "x@example.com", "--role", "reader"}},
		{"numeric service name", "service account name", []string{"--service", "123", "--role", "reader"}},
		{"service name with @", "service account name", []string{"--service", "a@b", "--role", "reader"}},
		{"service name with space", "service account name", []string{"--service", "a b", "--role", "reader"}},
		{"upper-case service name", "service account name", []string{"--service", "CI", "--role", "reader"}},
		{"email with a name", "not a plain email", []string{"--email", "Ada <ada@example.com>", "--role", "reader"}},
		{"not an email", "not a plain email", []string{"--email", "ada", "--role", "reader"}},
		{"name with escape", "--name", []string{"--email", "x@example.com", "--name", "a\x1b[31m", "--role", "reader"}},
		{"duplicate service", "already exists", []string{"--service", "taken", "--role", "admin"}},
		{"duplicate invitation", "already exists", []string{"--email", "TAKEN@example.com", "--role", "admin"}},
		{"email of a signed-in user", "already has email", []string{"--email", "grace@example.com", "--role", "admin"}},
		{"provider for a service account", "--invite-provider binds an invitation", []string{"--service", "x", "--invite-provider", "corp", "--role", "reader"}},
		{"provider name with upper case", "provider name", []string{"--email", "x@example.com", "--invite-provider", "Corp", "--role", "reader"}},
		{"provider name with a space", "provider name", []string{"--email", "x@example.com", "--invite-provider", "corp sso", "--role", "reader"}},
		{"unexpected argument", "unexpected argument", []string{"--service", "x", "--role", "reader", "extra"}},
		{"unknown flag", "unknown flag", []string{"--service", "x", "--role", "reader", "--admin"}},
	}
	for _, tt := range tests {
		before := c.state()
		c.fails(tt.want, append([]string{"users", "add"}, tt.args...)...)
		c.unchanged(tt.name, before)
	}
}

func TestUsersSetRoleAndDisable(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--service", "ci-bot", "--role", "reader")
	c.ok("users", "add", "--email", "ada@example.com", "--role", "reader")
	steps := []struct {
		args     []string
		ref      string
		role     gatehouse.Role
		disabled bool
		audited  bool
	}{
		{[]string{"users", "set-role", "ci-bot", "editor"}, "ci-bot", gatehouse.RoleEditor, false, true},
		{[]string{"users", "set-role", "ADA@example.com", "admin"}, "ada@example.com", gatehouse.RoleAdmin, false, true},
		{[]string{"users", "set-role", "1", "editor"}, "ci-bot", gatehouse.RoleEditor, false, false}, // no change
		{[]string{"users", "disable", "ci-bot"}, "ci-bot", gatehouse.RoleEditor, true, true},
		{[]string{"users", "disable", "1"}, "ci-bot", gatehouse.RoleEditor, true, false},
		{[]string{"users", "enable", "ci-bot"}, "ci-bot", gatehouse.RoleEditor, false, true},
	}
	for _, s := range steps {
		var before []auditView
		c.jsonOf(&before, "audit")
		c.ok(s.args...)
		u := c.user(s.ref)
		if u.Role != s.role || u.Disabled != s.disabled {
			t.Errorf("after %v: role %s disabled %t", s.args, u.Role, u.Disabled)
		}
		var after []auditView
		c.jsonOf(&after, "audit")
		if got := len(after) - len(before); got != map[bool]int{true: 1, false: 0}[s.audited] {
			t.Errorf("after %v: %d new audit events", s.args, got)
		} else if s.audited && (after[0].Action != gatehouse.ActionUserUpdate || after[0].UserID != u.ID) {
			t.Errorf("after %v: audit event %+v", s.args, after[0])
		}
	}
	for name, args := range map[string][]string{
		"unknown role":  {"users", "set-role", "ci-bot", "owner"},
		"unknown user":  {"users", "set-role", "nobody", "admin"},
		"unknown id":    {"users", "disable", "99"},
		"unknown email": {"users", "enable", "nobody@example.com"},
		"missing role":  {"users", "set-role", "ci-bot"},
		"missing user":  {"users", "disable"},
	} {
		before := c.state()
		c.fails("", args...)
		c.unchanged(name, before)
	}
}

// user returns the user ref names, as users list shows it.
func (c *opCLI) user(ref string) userView {
	c.t.Helper()
	var users []userView
	c.jsonOf(&users, "users", "list")
	for _, u := range users {
		if u.Subject == ref || u.Email == ref {
			return u
		}
	}
	c.t.Fatalf("no user %q", ref)
	return userView{}
}

func TestResolveUser(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir()+"/r.db", sqlite.Config{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	mk := func(u *gatehouse.User) int64 {
		u.Role = gatehouse.RoleReader
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	svc := mk(&gatehouse.User{Issuer: gatehouse.IssuerService, Subject: "ci", Kind: gatehouse.KindService})
	ada := mk(&gatehouse.User{Issuer: "https://idp.example", Subject: "x1", Kind: gatehouse.KindPerson, Email: "Ada@example.com"})
	mk(&gatehouse.User{Issuer: "https://idp.example", Subject: "x2", Kind: gatehouse.KindPerson, Email: "twin@example.com"})
	mk(&gatehouse.User{Issuer: "https://other.example", Subject: "x3", Kind: gatehouse.KindPerson, Email: "TWIN@example.com"})
	tests := []struct {
		ref  string
		id   int64
		want string // error text, when it fails
	}{
		{"ci", svc, ""},
		{" ci ", svc, ""},
		{"1", svc, ""},
		{"ada@example.com", ada, ""},
		{"ADA@EXAMPLE.COM", ada, ""},
		{"2", ada, ""},
		{"x1", 0, `no service account named "x1"`}, // a person's subject is not a reference
		{"99", 0, "no user with id 99"},
		{"nobody@example.com", 0, `no user with email "nobody@example.com"`},
		{"twin@example.com", 0, "name one by id"},
		{"", 0, "--user is required"},
	}
	for _, tt := range tests {
		u, err := resolveUser(ctx, st, tt.ref)
		switch {
		case tt.want == "" && (err != nil || u.ID != tt.id):
			t.Errorf("resolveUser(%q) = %v, %v; want id %d", tt.ref, u, err, tt.id)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("resolveUser(%q) error %v, want %q", tt.ref, err, tt.want)
		}
	}
}

// TestReadCommandsCreateNothing: listing from a data directory without a
// database is an error, and leaves no database behind.
func TestReadCommandsCreateNothing(t *testing.T) {
	c := newOpCLI(t)
	for _, args := range [][]string{{"users", "list"}, {"keys", "list", "--user", "ci"}, {"audit"}} {
		c.fails("no database at", args...)
		if _, err := os.Stat(c.dbPath()); !os.IsNotExist(err) {
			t.Fatalf("%v created the database: %v", args, err)
		}
	}
}

// addPerson stores a person as a sign-in through an identity provider
// would, which the command line cannot do.
func (c *opCLI) addPerson(issuer, subject, email string) {
	c.t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, c.dbPath(), sqlite.Config{})
	if err != nil {
		c.t.Fatal(err)
	}
	defer st.Close()
	u := &gatehouse.User{Issuer: issuer, Subject: subject, Kind: gatehouse.KindPerson, Email: email, Role: gatehouse.RoleReader}
	if err := st.CreateUser(ctx, u); err != nil {
		c.t.Fatal(err)
	}
}

// TestUsersAddProvider: users add --invite-provider binds the invitation to the
// provider name, which users list (table and JSON) and the audit log show;
// the name is not checked against providers this command cannot see, but
// a warning names one that the settings it read do not configure.
func TestUsersAddProvider(t *testing.T) {
	c := newOpCLI(t)
	var grace userView
	c.jsonOf(&grace, "users", "add", "--email", "grace@example.com", "--role", "admin", "--invite-provider", "corp")
	if grace.InvitationProvider != "corp" || grace.Issuer != gatehouse.IssuerInvited {
		t.Errorf("users add --invite-provider corp = %+v, want an invitation bound to corp", grace)
	}
	c.ok("users", "add", "--email", "ada@example.com", "--role", "reader")
	c.ok("users", "add", "--service", "ci-bot", "--role", "reader")
	st := c.openStore()
	if u, err := st.UserByIdentity(t.Context(), gatehouse.IssuerInvited, "grace@example.com"); err != nil || u.InvitationProvider != "corp" {
		t.Errorf("stored invitation %+v (%v), want it bound to corp", u, err)
	}
	var users []userView
	c.jsonOf(&users, "users", "list")
	if len(users) != 3 || users[0].InvitationProvider != "corp" || users[1].InvitationProvider != "" {
		t.Errorf("users list --json = %+v, want grace bound to corp and ada unbound", users)
	}
	table := c.ok("users", "list")
	for who, want := range map[string]string{"grace@example.com": " corp ", "ada@example.com": " any ", "ci-bot": " - "} {
		if line := lineWith(table, who); !strings.Contains(line, want) {
			t.Errorf("users list: the line of %s is %q, want it to show %q:\n%s", who, line, want, table)
		}
	}
	var audit []auditView
	c.jsonOf(&audit, "audit")
	if !strings.Contains(audit[len(audit)-1].Detail, "only through provider corp") {
		t.Errorf("audit of the bound invitation %+v, want the provider in its detail", audit[len(audit)-1])
	}

	c.vars["GATEHOUSE_PROVIDER"] = "name=google,issuer=https://accounts.google.com,client-id=ID,client-secret-env=GOOGLE_SECRET"
	c.vars["GOOGLE_SECRET"] = "s3cret"
	for _, tt := range []struct{ email, provider, warn string }{
		{"alan@example.com", "google", ""},
		{"edsger@example.com", "corp", "no provider named corp is configured here"},
	} {
		_, errOut, err := c.run("users", "add", "--email", tt.email, "--role", "reader", "--invite-provider", tt.provider)
		if err != nil {
			t.Fatalf("users add --invite-provider %s: %v\n%s", tt.provider, err, errOut)
		}
		if got := strings.Contains(errOut, "warning:"); got != (tt.warn != "") || !strings.Contains(errOut, tt.warn) {
			t.Errorf("users add --invite-provider %s with google configured: stderr %q, want warning %q", tt.provider, errOut, tt.warn)
		}
	}
}

// TestUsersAddProviderSetting: on users add, --provider is serve's setting,
// as on every command that reads the settings, not the invitation's
// provider: a bare name is refused as a malformed setting and adds no one,
// and a provider configured with it is what --invite-provider is checked
// against.
func TestUsersAddProviderSetting(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--service", "ci-bot", "--role", "reader")
	c.fails("invalid setting provider", "users", "add", "--email", "grace@example.com", "--role", "reader", "--provider", "corp")
	var users []userView
	c.jsonOf(&users, "users", "list")
	if len(users) != 1 {
		t.Fatalf("users list after the refused users add = %+v, want only ci-bot", users)
	}

	c.vars["CORP_SECRET"] = "s3cret"
	corp := "name=corp,issuer=https://id.corp.example,client-id=ID,client-secret-env=CORP_SECRET"
	for _, tt := range []struct{ email, provider, warn string }{
		{"grace@example.com", "corp", ""},
		{"ada@example.com", "google", "no provider named google is configured here"},
	} {
		_, errOut, err := c.run("users", "add", "--email", tt.email, "--role", "reader", "--provider", corp, "--invite-provider", tt.provider)
		if err != nil {
			t.Fatalf("users add --provider %s --invite-provider %s: %v\n%s", corp, tt.provider, err, errOut)
		}
		if got := strings.Contains(errOut, "warning:"); got != (tt.warn != "") || !strings.Contains(errOut, tt.warn) {
			t.Errorf("users add --invite-provider %s with corp configured by --provider: stderr %q, want warning %q", tt.provider, errOut, tt.warn)
		}
	}
	c.jsonOf(&users, "users", "list")
	if len(users) != 3 || users[1].InvitationProvider != "corp" || users[2].InvitationProvider != "google" {
		t.Errorf("users list --json = %+v, want grace bound to corp and ada to google", users)
	}
}

// lineWith returns the first line of s that contains sub.
func lineWith(s, sub string) string {
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, sub) {
			return line
		}
	}
	return ""
}
