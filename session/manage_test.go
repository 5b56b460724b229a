package session_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
)

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// principal returns the browser's principal from GET /me.
func (b *browser) principal() *gatehouse.Principal {
	b.e.t.Helper()
	r := b.do("GET", "/me", nil)
	if r.status != http.StatusOK {
		b.e.t.Fatalf("GET /me: %d %s", r.status, r.body)
	}
	var p gatehouse.Principal
	if err := json.Unmarshal([]byte(r.body), &p); err != nil {
		b.e.t.Fatal(err)
	}
	return &p
}

// TestStartRotates: every sign-in makes a new token and ends the session
// the browser presented, so that a session planted before sign-in (session
// fixation) or one remembered from before is worth nothing.
func TestStartRotates(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u, mallory := e.user(gatehouse.RoleAuthor), e.user(gatehouse.RoleReader)
		b := e.browser()
		b.signIn(u)
		first := b.cookie(session.CookieName)
		b.signIn(u)
		second := b.cookie(session.CookieName)
		if first == "" || first == second {
			t.Fatalf("sign-in twice gave cookies %q and %q, want two different ones", first, second)
		}
		if got := e.withCookie(first).get("/me"); got != http.StatusUnauthorized {
			t.Errorf("the first cookie after a new sign-in: %d, want 401", got)
		}
		if got := b.get("/me"); got != http.StatusOK {
			t.Errorf("the new cookie: %d, want 200", got)
		}

		// Fixation: mallory plants her session in the victim's browser.
		a := e.browser()
		a.signIn(mallory)
		planted := a.cookie(session.CookieName)
		victim := e.withCookie(planted)
		victim.signIn(u)
		if p := victim.principal(); p.UserID != u.ID {
			t.Errorf("victim signed in as user %d, want %d", p.UserID, u.ID)
		}
		if got := a.get("/me"); got != http.StatusUnauthorized {
			t.Errorf("the planted session after the victim signed in: %d, want 401", got)
		}
	})
}

// TestSessionPrincipal: a session authenticates the same Principal as a
// key would, with the scopes the user's role allows.
func TestSessionPrincipal(t *testing.T) {
	e := newEnv(t, backends[0], nil)
	cases := []struct {
		role      gatehouse.Role
		scopes    string
		postWrite int
	}{
		{gatehouse.RoleReader, "blog.posts:write keys read", http.StatusForbidden},
		{gatehouse.RoleAuthor, "blog.posts:write keys read write", http.StatusOK},
		{gatehouse.RoleAdmin, "admin blog.posts:write keys read write", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(string(c.role), func(t *testing.T) {
			u := e.user(c.role)
			b := e.browser()
			b.signIn(u)
			p := b.principal()
			if p.UserID != u.ID || p.Email != u.Email || p.Role != c.role || p.Kind != gatehouse.KindPerson ||
				p.Method != gatehouse.MethodSession || p.SessionID == "" || p.KeyID != "" {
				t.Errorf("principal %+v for user %+v", p, u)
			}
			if p.Scopes.String() != c.scopes {
				t.Errorf("scopes %q, want %q", p.Scopes, c.scopes)
			}
			if got := b.do("POST", "/write", nil).status; got != c.postWrite {
				t.Errorf("POST /write: %d, want %d", got, c.postWrite)
			}
		})
	}
}

// TestLogoutThenReuse: after logout the cookie is cleared, and a copy of
// it kept by an attacker is refused by this instance and any other.
func TestLogoutThenReuse(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.user(gatehouse.RoleAuthor))
		kept := b.cookie(session.CookieName)
		other := e.manager(nil) // a second instance on the same store
		if _, ok, err := other.Authenticate(cookieRequest("GET", kept)); !ok || err != nil {
			t.Fatalf("the other instance before logout: %v, %v", ok, err)
		}
		if r := b.do("POST", "/logout", nil); r.status != http.StatusNoContent {
			t.Fatalf("POST /logout: %d %s", r.status, r.body)
		}
		if b.cookie(session.CookieName) != "" {
			t.Errorf("the browser still holds the cookie after logout")
		}
		if got := e.withCookie(kept).get("/me"); got != http.StatusUnauthorized {
			t.Errorf("the cookie after logout: %d, want 401", got)
		}
		if p, ok, err := other.Authenticate(cookieRequest("GET", kept)); ok || p != nil || err != nil {
			t.Errorf("the other instance after logout: %v, %v, %v; want no session", p, ok, err)
		}
		if r := e.withCookie(kept).do("POST", "/logout", nil); r.status != http.StatusNoContent {
			t.Errorf("logout with an ended session: %d, want 204", r.status)
		}
	})
}

// TestEndAll ends every session of one user, on every instance, and no
// one else's.
func TestEndAll(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u, v := e.user(gatehouse.RoleAuthor), e.user(gatehouse.RoleAuthor)
		b1, b2, b3 := e.browser(), e.browser(), e.browser()
		b1.signIn(u)
		b2.signIn(u)
		b3.signIn(v)
		n, err := e.manager(nil).EndAll(ctx(t), u.ID)
		if err != nil || n != 2 {
			t.Fatalf("EndAll = %d, %v; want 2", n, err)
		}
		for i, c := range []struct {
			b    *browser
			want int
		}{{b1, http.StatusUnauthorized}, {b2, http.StatusUnauthorized}, {b3, http.StatusOK}} {
			if got := c.b.get("/me"); got != c.want {
				t.Errorf("browser %d after EndAll: %d, want %d", i+1, got, c.want)
			}
		}
		if n, err := e.m.EndAll(ctx(t), u.ID); err != nil || n != 0 {
			t.Errorf("EndAll again = %d, %v; want 0", n, err)
		}
	})
}

// TestEndOne: a user lists their sessions and ends one of them; another
// user's session id is not found, and that session keeps working.
func TestEndOne(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u, v := e.user(gatehouse.RoleReader), e.user(gatehouse.RoleReader)
		b1, b2, theirs := e.browser(), e.browser(), e.browser()
		b1.signIn(u)
		e.clock.Add(1e9)
		b2.signIn(u)
		theirs.signIn(v)
		id1, id2, idV := b1.principal().SessionID, b2.principal().SessionID, theirs.principal().SessionID
		r := b1.do("GET", "/sessions", nil)
		var ids []string
		if err := json.Unmarshal([]byte(r.body), &ids); err != nil || !slices.Equal(ids, []string{id2, id1}) {
			t.Fatalf("GET /sessions = %s (%v), want [%s %s]", r.body, err, id2, id1)
		}
		steps := []struct {
			name string
			id   string
			want int
		}{
			{"another user's session", idV, http.StatusNotFound},
			{"an unknown id", "nosuchsession", http.StatusNotFound},
			{"my other session", id2, http.StatusNoContent},
			{"my other session again", id2, http.StatusNotFound},
		}
		for _, st := range steps {
			if got := b1.do("DELETE", "/sessions/"+st.id, nil).status; got != st.want {
				t.Errorf("DELETE %s: %d, want %d", st.name, got, st.want)
			}
		}
		for i, c := range []struct {
			b    *browser
			want int
		}{{b1, http.StatusOK}, {b2, http.StatusUnauthorized}, {theirs, http.StatusOK}} {
			if got := c.b.get("/me"); got != c.want {
				t.Errorf("browser %d: %d, want %d", i+1, got, c.want)
			}
		}
	})
}

// TestDisabledUser: disabling a user refuses their sessions at once, and
// a disabled user or a service account cannot sign in.
func TestDisabledUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(gatehouse.RoleEditor)
		b := e.browser()
		b.signIn(u)
		u.Disabled = true
		if err := e.store.UpdateUser(ctx(t), u); err != nil {
			t.Fatal(err)
		}
		if got := b.get("/me"); got != http.StatusUnauthorized {
			t.Errorf("GET /me after the user was disabled: %d, want 401", got)
		}
		nb := e.browser()
		if r := nb.do("GET", "/test/signin?user="+itoa(u.ID), nil); r.status != http.StatusForbidden || len(r.cookies) != 0 {
			t.Errorf("sign-in of a disabled user: %d with cookies %q, want 403 and none", r.status, r.cookies)
		}
		svc := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: "ci", Kind: gatehouse.KindService, Role: gatehouse.RoleAdmin}
		if err := e.store.CreateUser(ctx(t), svc); err != nil {
			t.Fatal(err)
		}
		if r := nb.do("GET", "/test/signin?user="+itoa(svc.ID), nil); r.status != http.StatusForbidden || len(r.cookies) != 0 {
			t.Errorf("sign-in of a service account: %d with cookies %q, want 403 and none", r.status, r.cookies)
		}
	})
}

// TestStaleCookieIsAnonymous: a cookie whose session no longer works does
// not lock its browser out. Public pages answer as to anyone, routes that
// need a principal answer 401, and signing in again works and replaces
// the cookie.
func TestStaleCookieIsAnonymous(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(gatehouse.RoleAuthor)
		b := e.browser()
		b.signIn(u)
		stale := b.cookie(session.CookieName)
		e.clock.Add(time.Hour) // idle
		steps := []struct {
			method, path string
			want         int
			body         string
		}{
			{"GET", "/public", http.StatusOK, "anonymous"},
			{"POST", "/public", http.StatusOK, "anonymous"},
			{"GET", "/me", http.StatusUnauthorized, ""},
			{"POST", "/write", http.StatusUnauthorized, ""},
		}
		for _, st := range steps {
			r := b.do(st.method, st.path, nil)
			if r.status != st.want || !strings.Contains(r.body, st.body) {
				t.Errorf("%s %s with a stale cookie: %d %q, want %d %q", st.method, st.path, r.status, r.body, st.want, st.body)
			}
		}
		b.signIn(u)
		if b.cookie(session.CookieName) == stale {
			t.Errorf("signing in again kept the stale cookie")
		}
		if p := b.principal(); p.UserID != u.ID {
			t.Errorf("after signing in again: user %d, want %d", p.UserID, u.ID)
		}
	})
}
