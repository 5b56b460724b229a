package session_test

import (
	"net/http"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
)

// TestCrossSiteRequests forges where requests come from. A cookie-
// authenticated unsafe request from another site, or one that does not
// say where it comes from, is refused; same-origin ones and every
// key-authenticated one pass.
func TestCrossSiteRequests(t *testing.T) {
	e := newEnv(t, backends[0], nil)
	u := e.user(gatehouse.RoleAuthor)
	key := e.key(u)
	b := e.browser()
	b.signIn(u)
	self := e.srv.URL
	cases := []struct {
		name   string
		method string
		key    bool
		header map[string]string
		want   int
	}{
		{"same-origin POST", "POST", false, map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusOK},
		{"same-origin POST by Origin only", "POST", false, map[string]string{"Sec-Fetch-Site": "", "Origin": self}, http.StatusOK},
		{"cross-site POST", "POST", false, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"same-site POST from a sibling host", "POST", false, map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"cross-site DELETE", "DELETE", false, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"forged Origin without Sec-Fetch-Site", "POST", false, map[string]string{"Sec-Fetch-Site": "", "Origin": "https://evil.example"}, http.StatusForbidden},
		{"Origin null", "POST", false, map[string]string{"Sec-Fetch-Site": "", "Origin": "null"}, http.StatusForbidden},
		{"neither header", "POST", false, map[string]string{"Sec-Fetch-Site": ""}, http.StatusForbidden},
		{"cross-site GET is safe", "GET", false, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusOK},
		{"key: cross-site POST", "POST", true, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, http.StatusOK},
		{"key: neither header", "DELETE", true, map[string]string{"Sec-Fetch-Site": ""}, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := b
			if c.key {
				client = e.browser()
				c.header["Authorization"] = "Bearer " + key
			}
			path := "/write"
			if c.method == "GET" {
				path = "/me"
			}
			if r := client.do(c.method, path, c.header); r.status != c.want {
				t.Errorf("%s %s: %d %s, want %d", c.method, path, r.status, r.body, c.want)
			}
		})
	}
	if got := b.get("/me"); got != http.StatusOK {
		t.Errorf("the session after the refused requests: %d, want 200", got)
	}
}

// TestCrossSiteLogout: another site cannot sign a visitor out.
func TestCrossSiteLogout(t *testing.T) {
	e := newEnv(t, backends[0], nil)
	b := e.browser()
	b.signIn(e.user(gatehouse.RoleReader))
	if r := b.do("POST", "/logout", map[string]string{"Sec-Fetch-Site": "cross-site"}); r.status != http.StatusForbidden || len(r.cookies) != 0 {
		t.Errorf("cross-site logout: %d with cookies %q, want 403 and none", r.status, r.cookies)
	}
	if got := b.get("/me"); got != http.StatusOK {
		t.Errorf("the session after a cross-site logout: %d, want 200", got)
	}
}

// TestMoreThanOneCredential: a key and a session together, or the cookie
// twice, are refused with 400, never resolved by picking one.
func TestMoreThanOneCredential(t *testing.T) {
	e := newEnv(t, backends[0], nil)
	u := e.user(gatehouse.RoleReader)
	b := e.browser()
	b.signIn(u)
	token := b.cookie(session.CookieName)
	cases := []struct {
		name   string
		header map[string]string
	}{
		{"key and session", map[string]string{"Authorization": "Bearer " + e.key(u)}},
		{"cookie twice", map[string]string{"Cookie": session.CookieName + "=" + token + "; " + session.CookieName + "=" + token}},
	}
	for _, c := range cases {
		if r := e.browser().do("GET", "/me", mergeCookie(c.header, token)); r.status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", c.name, r.status, r.body)
		}
	}
}

// mergeCookie adds the session cookie to h unless h sets Cookie itself.
func mergeCookie(h map[string]string, token string) map[string]string {
	if _, ok := h["Cookie"]; !ok {
		h["Cookie"] = session.CookieName + "=" + token
	}
	return h
}

// TestMalformedCookies are refused before any lookup, with the one 401
// every refused session gets; an empty cookie is no credential at all.
func TestMalformedCookies(t *testing.T) {
	e := newEnv(t, backends[0], nil)
	cases := []struct {
		name, value string
		want        int
	}{
		{"short", "abc", http.StatusUnauthorized},
		{"right length, wrong alphabet", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", http.StatusUnauthorized},
		{"well-formed but unknown", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", http.StatusUnauthorized},
		{"empty", "", http.StatusUnauthorized}, // anonymous: Require answers 401
	}
	for _, c := range cases {
		r := e.browser().do("GET", "/me", map[string]string{"Cookie": session.CookieName + "=" + c.value})
		if r.status != c.want {
			t.Errorf("%s: %d, want %d", c.name, r.status, c.want)
		}
	}
}

// TestTrapCrossOriginProtectionLetsHeaderlessThrough is named after the
// http.CrossOriginProtection trap: it lets through an unsafe request that
// carries neither Sec-Fetch-Site nor Origin, taking it for a non-browser
// client. With a session cookie such a request is refused (POST, DELETE,
// logout), on every backend; a key-authenticated one (no ambient
// credential) passes.
func TestTrapCrossOriginProtectionLetsHeaderlessThrough(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		u := e.user(gatehouse.RoleAuthor)
		b := e.browser()
		b.signIn(u)
		headerless := map[string]string{"Sec-Fetch-Site": "", "Origin": ""}
		for _, method := range []string{"POST", "DELETE"} {
			if r := b.do(method, "/write", headerless); r.status != http.StatusForbidden {
				t.Errorf("cookie %s without Origin or Sec-Fetch-Site: %d %s, want 403", method, r.status, r.body)
			}
		}
		if r := b.do("POST", "/logout", headerless); r.status != http.StatusForbidden {
			t.Errorf("cookie logout without Origin or Sec-Fetch-Site: %d, want 403", r.status)
		}
		if got := b.get("/me"); got != http.StatusOK {
			t.Errorf("the session after the refused requests: %d, want 200", got)
		}
		if r := e.browser().do("POST", "/write", map[string]string{"Sec-Fetch-Site": "", "Authorization": "Bearer " + e.key(u)}); r.status != http.StatusOK {
			t.Errorf("key POST without Origin or Sec-Fetch-Site: %d %s, want 200", r.status, r.body)
		}
	})
}
