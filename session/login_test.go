package session_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
)

// begin starts a login flow with state in b and returns its cookie's name
// and value.
func (b *browser) begin(state string) (name, value string) {
	b.e.t.Helper()
	r := b.do("GET", "/login/begin?state="+state, nil)
	if r.status != http.StatusNoContent {
		b.e.t.Fatalf("begin %s: %d %s", state, r.status, r.body)
	}
	c, _ := setCookie(b.e.t, r, session.LoginCookiePrefix)
	return c.Name, c.Value
}

// finish completes the flow with state in b and returns the status and
// the flow's nonce.
func (b *browser) finish(state string) (int, string) {
	b.e.t.Helper()
	r := b.do("GET", "/login/finish?state="+state, map[string]string{"Sec-Fetch-Site": "cross-site"})
	var f gatehouse.LoginFlow
	if r.status == http.StatusOK {
		if err := json.Unmarshal([]byte(r.body), &f); err != nil {
			b.e.t.Fatal(err)
		}
	}
	return r.status, f.Nonce
}

// TestLoginFlowBinding: a flow completes once, in the browser that began
// it, within its lifetime; flows in two tabs of one browser both complete.
func TestLoginFlowBinding(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		t.Run("two tabs", func(t *testing.T) {
			b := e.browser()
			a, c := flowState(), flowState()
			na, _ := b.begin(a)
			nc, _ := b.begin(c)
			if na == nc {
				t.Fatalf("two flows share the cookie %s", na)
			}
			for _, s := range []string{c, a} { // the later one finishes first
				if status, nonce := b.finish(s); status != http.StatusOK || nonce != "n-"+s {
					t.Errorf("finish %s: %d, nonce %q", s, status, nonce)
				}
			}
		})
		t.Run("replayed state", func(t *testing.T) {
			b := e.browser()
			s := flowState()
			name, value := b.begin(s)
			if status, _ := b.finish(s); status != http.StatusOK {
				t.Fatalf("first finish: %d", status)
			}
			if b.cookie(name) != "" {
				t.Errorf("the login cookie survived its flow")
			}
			b.setCookie(name, value) // a copy of the cookie, replayed
			if status, _ := b.finish(s); status != http.StatusUnauthorized {
				t.Errorf("replayed finish: %d, want 401", status)
			}
		})
		t.Run("missing cookie spends nothing", func(t *testing.T) {
			b, attacker := e.browser(), e.browser()
			s := flowState()
			b.begin(s)
			if status, _ := attacker.finish(s); status != http.StatusUnauthorized {
				t.Errorf("finish without the cookie: %d, want 401", status)
			}
			if status, _ := b.finish(s); status != http.StatusOK {
				t.Errorf("finish in the right browser afterwards: %d, want 200", status)
			}
		})
		t.Run("wrong cookie", func(t *testing.T) {
			b, attacker := e.browser(), e.browser()
			s := flowState()
			name, value := b.begin(s)
			attacker.setCookie(name, strings.Repeat("A", len(value)))
			if status, _ := attacker.finish(s); status != http.StatusUnauthorized {
				t.Errorf("finish with another cookie value: %d, want 401", status)
			}
			if status, _ := b.finish(s); status != http.StatusUnauthorized {
				t.Errorf("finish after a mismatch: %d, want 401 (the flow is spent)", status)
			}
		})
		t.Run("another flow's cookie", func(t *testing.T) {
			b, other := e.browser(), e.browser()
			s, s2 := flowState(), flowState()
			b.begin(s)
			_, value := other.begin(s2)
			other.setCookie(loginCookieName(t, b, s), value)
			if status, _ := other.finish(s); status != http.StatusUnauthorized {
				t.Errorf("finish with a cookie of another flow: %d, want 401", status)
			}
		})
		t.Run("expiry", func(t *testing.T) {
			b := e.browser()
			early, late := flowState(), flowState()
			b.begin(early)
			b.begin(late)
			e.clock.Add(session.LoginLifetime - time.Millisecond)
			if status, _ := b.finish(early); status != http.StatusOK {
				t.Errorf("finish just before expiry: %d, want 200", status)
			}
			e.clock.Add(time.Millisecond)
			if status, _ := b.finish(late); status != http.StatusUnauthorized {
				t.Errorf("finish at expiry: %d, want 401", status)
			}
		})
		t.Run("no state", func(t *testing.T) {
			if status, _ := e.browser().finish(""); status != http.StatusUnauthorized {
				t.Errorf("finish without a state: %d, want 401", status)
			}
		})
	})
}

// loginCookieName returns the name of the login cookie of state in b's
// jar by elimination: b began only that flow.
func loginCookieName(t *testing.T, b *browser, state string) string {
	t.Helper()
	u := b.e.srv.URL
	r, _ := http.NewRequest("GET", u, nil)
	for _, c := range b.jar.Cookies(r.URL) {
		if strings.HasPrefix(c.Name, session.LoginCookiePrefix) {
			return c.Name
		}
	}
	t.Fatalf("no login cookie for %s", state)
	return ""
}
