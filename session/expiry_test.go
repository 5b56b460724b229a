package session_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
)

// cookieRequest is a same-origin request carrying the session token.
func cookieRequest(method, token string) *http.Request {
	r := httptest.NewRequest(method, "https://gatehouse.test/", nil)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(&http.Cookie{Name: session.CookieName, Value: token})
	return r
}

// TestIdleExpiry uses a session at the given intervals, on every backend;
// the last use must get want. Uses are not written to the store between
// them (no Flush): the idle timeout counts from this instance's pending
// use.
func TestIdleExpiry(t *testing.T) {
	cases := []struct {
		name  string
		idle  time.Duration
		steps []time.Duration
		want  int
	}{
		{"used every 59 minutes for hours", 0, []time.Duration{59 * time.Minute, 59 * time.Minute, 59 * time.Minute, 59 * time.Minute}, http.StatusOK},
		{"idle for an hour", 0, []time.Duration{30 * time.Minute, time.Hour}, http.StatusUnauthorized},
		{"idle just under an hour", 0, []time.Duration{time.Hour - time.Millisecond}, http.StatusOK},
		{"configured: idle for five minutes", 5 * time.Minute, []time.Duration{4 * time.Minute, 5 * time.Minute}, http.StatusUnauthorized},
	}
	for _, be := range backends {
		for _, c := range cases {
			t.Run(be.name+"/"+c.name, func(t *testing.T) {
				e := newEnv(t, be, func(cfg *session.Config) { cfg.IdleTimeout = c.idle })
				b := e.browser()
				b.signIn(e.user(gatehouse.RoleReader))
				got := 0
				for _, d := range c.steps {
					e.clock.Add(d)
					got = b.get("/me")
				}
				if got != c.want {
					t.Errorf("last use: %d, want %d", got, c.want)
				}
			})
		}
	}
}

// TestIdleAcrossInstances: a use flushed by one instance keeps the session
// alive on another; one that was never flushed does not.
func TestIdleAcrossInstances(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.user(gatehouse.RoleReader))
		token := b.cookie(session.CookieName)
		e.clock.Add(50 * time.Minute)
		if got := b.get("/me"); got != http.StatusOK {
			t.Fatalf("GET /me: %d", got)
		}
		e.clock.Add(20 * time.Minute) // 70 minutes after sign-in, 20 after the use
		other := e.manager(nil)
		if p, ok, err := other.Authenticate(cookieRequest("GET", token)); ok || p != nil || err != nil {
			t.Errorf("another instance before the use was flushed: %v, %v, %v; want no session", p, ok, err)
		}
		if err := e.m.Flush(ctx(t)); err != nil {
			t.Fatal(err)
		}
		p, ok, err := other.Authenticate(cookieRequest("GET", token))
		if err != nil || !ok || p.Method != gatehouse.MethodSession {
			t.Errorf("another instance after the flush: %v, %v, %v", p, ok, err)
		}
	})
}

// TestAbsoluteExpiry: a session used all the time still ends twelve hours
// after sign-in.
func TestAbsoluteExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.user(gatehouse.RoleReader))
		for elapsed := time.Duration(0); elapsed < 12*time.Hour-30*time.Minute; elapsed += 30 * time.Minute {
			e.clock.Add(30 * time.Minute)
			if got := b.get("/me"); got != http.StatusOK {
				t.Fatalf("GET /me %v after sign-in: %d", elapsed+30*time.Minute, got)
			}
		}
		e.clock.Add(30*time.Minute - time.Millisecond)
		if got := b.get("/me"); got != http.StatusOK {
			t.Fatalf("GET /me just before 12h: %d", got)
		}
		e.clock.Add(time.Millisecond)
		if got := b.get("/me"); got != http.StatusUnauthorized {
			t.Errorf("GET /me at 12h: %d, want 401", got)
		}
	})
}

// TestListSkipsExpired: List shows only sessions that still work.
func TestListSkipsExpired(t *testing.T) {
	e := newEnv(t, backends[0], nil)
	u := e.user(gatehouse.RoleReader)
	old, cur := e.browser(), e.browser()
	old.signIn(u)
	e.clock.Add(time.Hour)
	cur.signIn(u)
	list, err := e.m.List(ctx(t), u.ID)
	if err != nil || len(list) != 1 || list[0].ID != cur.principal().SessionID {
		t.Errorf("List = %v, %v; want only the current session", list, err)
	}
}

// TestRunFlushesOnStop: uses pending when Run stops are written.
func TestRunFlushesOnStop(t *testing.T) {
	e := newEnv(t, backends[0], func(c *session.Config) { c.FlushInterval = time.Hour })
	b := e.browser()
	b.signIn(e.user(gatehouse.RoleReader))
	runCtx, cancel := context.WithCancel(ctx(t))
	done := make(chan error, 1)
	go func() { done <- e.m.Run(runCtx) }()
	e.clock.Add(time.Minute)
	b.get("/me")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	s, err := e.store.SessionByHash(ctx(t), hashOf(b.cookie(session.CookieName)))
	if err != nil || !s.LastSeen.Equal(t0.Add(time.Minute)) {
		t.Errorf("LastSeen after Run stopped = %v (%v), want %v", s.LastSeen, err, t0.Add(time.Minute))
	}
	if s.Addr != "127.0.0.1" || s.UserAgent != "TestBrowser/1.0" {
		t.Errorf("session Addr %q, UserAgent %q", s.Addr, s.UserAgent)
	}
}

// TestStoreDownFailsClosed: when the store cannot be read, a request with
// a session cookie is answered with an error, never let through, and never
// taken for an anonymous one either.
func TestStoreDownFailsClosed(t *testing.T) {
	e := newEnv(t, backends[0], nil)
	b := e.browser()
	b.signIn(e.user(gatehouse.RoleAuthor))
	e.store.Close()
	for _, path := range []string{"/me", "/public"} {
		if r := b.do("GET", path, nil); r.status < 500 {
			t.Errorf("GET %s with the store down: %d %q, want a 5xx", path, r.status, r.body)
		}
	}
}
