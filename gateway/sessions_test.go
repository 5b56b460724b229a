package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

// cookieSessions stands in for the session store: the cookie
// __Host-gatehouse=valid is a session of user 42.
type cookieSessions struct{}

func (cookieSessions) Authenticate(r *http.Request) (*gatehouse.Principal, bool, error) {
	c, err := r.Cookie("__Host-gatehouse")
	if err != nil || c.Value != "valid" {
		return nil, false, nil
	}
	return &gatehouse.Principal{UserID: 42, Role: gatehouse.RoleReader, Method: gatehouse.MethodSession,
		SessionID: "s1", Scopes: gatehouse.NewScopes(gatehouse.ScopeRead)}, true, nil
}

// TestSessionThroughGateway: a guard with sessions works unchanged; the
// session cookie is not forwarded, and cross-site unsafe requests that
// rely on it are refused.
func TestSessionThroughGateway(t *testing.T) {
	e := newEnv(t, envOpts{sessions: cookieSessions{}})
	cookie := "__Host-gatehouse=valid; theme=dark"
	tests := []struct {
		name, method  string
		hdr           []string
		status        int
		forwardedUser string
	}{
		{"GET with the cookie", "GET", []string{"Cookie", cookie}, 200, "42"},
		{"same-origin POST", "POST", []string{"Cookie", cookie, "Sec-Fetch-Site", "same-origin"}, 200, "42"},
		{"cross-site POST", "POST", []string{"Cookie", cookie, "Sec-Fetch-Site", "cross-site"}, 403, ""},
		{"cross-origin POST by Origin", "POST", []string{"Cookie", cookie, "Origin", "https://evil.example"}, 403, ""},
		{"no cookie", "GET", nil, 401, ""},
		{"cookie and key", "GET", []string{"Cookie", cookie, "Authorization", "Bearer x"}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(tt.method, "/api/x", "", tt.hdr...)
			got := e.up.take()
			if resp.StatusCode != tt.status || (len(got) > 0) != (tt.forwardedUser != "") {
				t.Fatalf("status %d, forwarded %d", resp.StatusCode, len(got))
			}
			if len(got) == 0 {
				return
			}
			h := got[0].Header
			if h.Get("X-Gatehouse-User-Id") != tt.forwardedUser || h.Get("X-Gatehouse-Auth-Method") != "session" {
				t.Errorf("identity %v", h)
			}
			if c := strings.Join(h.Values("Cookie"), ";"); c != "theme=dark" {
				t.Errorf("cookies forwarded: %q", c)
			}
		})
	}
}
