package session_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
)

// setCookie finds the Set-Cookie line whose name has the given prefix.
func setCookie(t testing.TB, r response, prefix string) (*http.Cookie, string) {
	t.Helper()
	for _, line := range r.cookies {
		if strings.HasPrefix(line, prefix) {
			c, err := http.ParseSetCookie(line)
			if err != nil {
				t.Fatalf("ParseSetCookie(%q): %v", line, err)
			}
			return c, line
		}
	}
	t.Fatalf("no Set-Cookie for %s in %q", prefix, r.cookies)
	return nil, ""
}

// TestCookieAttributes checks every cookie the package sets, attribute by
// attribute, as the browser receives it.
func TestCookieAttributes(t *testing.T) {
	e := newEnv(t, backends[0], nil)
	u := e.user(gatehouse.RoleAuthor)
	b := e.browser()
	state := flowState()
	steps := []struct {
		name     string
		send     func() response
		prefix   string
		sameSite http.SameSite
		maxAge   int // -1: cleared (Max-Age=0)
		valueLen int
	}{
		{"sign-in", func() response { return b.do("GET", "/test/signin?user="+itoa(u.ID), nil) },
			session.CookieName + "=", http.SameSiteStrictMode, 12 * 3600, 43},
		{"logout", func() response { return b.do("POST", "/logout", nil) },
			session.CookieName + "=", http.SameSiteStrictMode, -1, 0},
		{"login begins", func() response { return b.do("GET", "/login/begin?state="+state, nil) },
			session.LoginCookiePrefix, http.SameSiteLaxMode, 600, 43},
		{"login finishes", func() response { return b.do("GET", "/login/finish?state="+state, nil) },
			session.LoginCookiePrefix, http.SameSiteLaxMode, -1, 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := st.send()
			if r.status >= 300 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			c, line := setCookie(t, r, st.prefix)
			if !strings.HasPrefix(c.Name, "__Host-") || c.Path != "/" || c.Domain != "" || !c.Secure || !c.HttpOnly {
				t.Errorf("%q: want a __Host- name, Path=/, no Domain, Secure, HttpOnly", line)
			}
			if c.SameSite != st.sameSite || c.MaxAge != st.maxAge || len(c.Value) != st.valueLen {
				t.Errorf("%q: SameSite %v, Max-Age %d, value of %d bytes; want %v, %d, %d",
					line, c.SameSite, c.MaxAge, len(c.Value), st.sameSite, st.maxAge, st.valueLen)
			}
			if strings.Contains(strings.ToLower(line), "domain") {
				t.Errorf("%q names a Domain", line)
			}
			if got := len(r.cookies); got != 1 {
				t.Errorf("%d Set-Cookie lines, want 1: %q", got, r.cookies)
			}
		})
	}
}

// TestCookieMaxAgeFollowsAbsoluteTimeout: the browser forgets the cookie
// when the session could no longer be used anyway.
func TestCookieMaxAgeFollowsAbsoluteTimeout(t *testing.T) {
	e := newEnv(t, backends[0], func(c *session.Config) {
		c.AbsoluteTimeout, c.IdleTimeout = 90*60e9, 30*60e9
	})
	b := e.browser()
	r := b.do("GET", "/test/signin?user="+itoa(e.user(gatehouse.RoleReader).ID), nil)
	if c, line := setCookie(t, r, session.CookieName+"="); c.MaxAge != 5400 {
		t.Errorf("%q: want Max-Age=5400", line)
	}
}

// TestResponsesSettingCookiesAreNotCached: a shared cache must never keep
// a response that carries a credential.
func TestResponsesSettingCookiesAreNotCached(t *testing.T) {
	e := newEnv(t, backends[0], nil)
	b := e.browser()
	req, _ := http.NewRequest("GET", e.srv.URL+"/test/signin?user="+itoa(e.user(gatehouse.RoleReader).ID), nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q on the sign-in response, want no-store", got)
	}
}
