package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
	"github.com/gatehouse-dev/gatehouse/postgres"
	"github.com/gatehouse-dev/gatehouse/session"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// TestSessionsCommand lists and ends a person's sessions, one and then
// all, and checks that another person's sessions are out of reach.
func TestSessionsCommand(t *testing.T) {
	sessionsWalkthrough(t, newOpCLI(t))
}

// TestSessionsCommandPostgres is the same on PostgreSQL.
func TestSessionsCommandPostgres(t *testing.T) {
	c := newOpCLI(t)
	c.vars["GATEHOUSE_DATABASE"] = pgtest.URL(t)
	sessionsWalkthrough(t, c)
}

func sessionsWalkthrough(t *testing.T, c *opCLI) {
	c.ok("users", "add", "--email", "ada@example.com", "--role", "author")
	c.ok("users", "add", "--email", "bob@example.com", "--role", "reader")
	st := c.openStore()
	ada, bob := c.userIn(st, "ada@example.com"), c.userIn(st, "bob@example.com")
	m, err := session.New(session.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	first, second, theirs := signIn(t, m, ada), signIn(t, m, ada), signIn(t, m, bob)

	var views []sessionView
	c.jsonOf(&views, "sessions", "list", "--user", "ada@example.com")
	if len(views) != 2 || views[0].ID != second.ID || views[1].ID != first.ID || views[0].Provider != "dev" {
		t.Fatalf("sessions list --json = %+v, want the two sessions, newest first", views)
	}
	if out := c.ok("sessions", "list", "--user", "ada@example.com"); !strings.Contains(out, first.ID) || !strings.Contains(out, "192.0.2.1") {
		t.Errorf("sessions list does not show the session and its address:\n%s", out)
	}

	c.fails("No such session", "sessions", "end", "--user", "ada@example.com", theirs.ID)
	if out := c.ok("sessions", "end", "--user", "ada@example.com", first.ID); !strings.Contains(out, "ended session "+first.ID) {
		t.Errorf("sessions end ID printed %q", out)
	}
	c.jsonOf(&views, "sessions", "list", "--user", "ada@example.com")
	if len(views) != 1 || views[0].ID != second.ID {
		t.Errorf("after ending one: %+v, want only %s", views, second.ID)
	}
	if out := c.ok("sessions", "end", "--user", "ada@example.com"); !strings.Contains(out, "ended 1 sessions") {
		t.Errorf("sessions end printed %q", out)
	}
	for _, s := range []struct {
		token string
		want  bool
	}{{first.token, false}, {second.token, false}, {theirs.token, true}} {
		if _, ok, _ := m.Authenticate(cookieRequest(s.token)); ok != s.want {
			t.Errorf("a session after the commands: authenticated %v, want %v", ok, s.want)
		}
	}
	if audit := c.ok("audit", "--user", "ada@example.com"); strings.Count(audit, string(gatehouse.ActionSessionEnd)) != 2 {
		t.Errorf("the audit log does not show two session.end events:\n%s", audit)
	}
}

// TestSessionsCommandUsage: mistakes in the command line change nothing.
func TestSessionsCommandUsage(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--email", "ada@example.com", "--role", "author")
	for _, args := range [][]string{
		{"sessions", "end", "--user", "ada@example.com", "a", "b"},
		{"sessions", "end"},
		{"sessions", "list"},
		{"sessions", "kill"},
	} {
		before := c.state()
		if _, _, err := c.run(args...); err == nil {
			t.Errorf("%v succeeded", args)
		}
		c.unchanged(strings.Join(args, " "), before)
	}
}

// openStore opens the store the commands use; the test's end closes it.
func (c *opCLI) openStore() gatehouse.Store {
	c.t.Helper()
	ctx := context.Background()
	var st gatehouse.Store
	var err error
	if url := c.vars["GATEHOUSE_DATABASE"]; url != "" {
		st, err = postgres.Open(ctx, url, postgres.Config{})
	} else {
		st, err = sqlite.Open(ctx, c.dbPath(), sqlite.Config{})
	}
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

func (c *opCLI) userIn(st gatehouse.Store, email string) *gatehouse.User {
	c.t.Helper()
	us, err := st.Users(context.Background(), email)
	if err != nil || len(us) != 1 {
		c.t.Fatalf("Users(%s) = %v, %v", email, us, err)
	}
	return us[0]
}

// started is a session and the token its cookie holds.
type started struct {
	*gatehouse.Session
	token string
}

// signIn starts a session for u as the sign-in callback would.
func signIn(t *testing.T, m *session.Manager, u *gatehouse.User) started {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "https://gatehouse.test/auth/callback", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	s, err := m.Start(context.Background(), w, r, u, session.Meta{Provider: "dev", Issuer: "https://idp.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range w.Result().Cookies() {
		if ck.Name == session.CookieName {
			return started{s, ck.Value}
		}
	}
	t.Fatal("Start set no session cookie")
	return started{}
}

// cookieRequest is a same-origin request carrying the session token.
func cookieRequest(token string) *http.Request {
	r := httptest.NewRequest("GET", "https://gatehouse.test/api/me", nil)
	r.AddCookie(&http.Cookie{Name: session.CookieName, Value: token})
	return r
}
