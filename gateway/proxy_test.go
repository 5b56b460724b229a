package gateway_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/gateway"
)

// TestProxyDecisions: allowed, denied and public requests through the real
// gateway to a real upstream.
func TestProxyDecisions(t *testing.T) {
	e := newEnv(t, envOpts{})
	reader := e.key(gatehouse.RoleReader, gatehouse.ScopeRead)
	admin := e.key(gatehouse.RoleAdmin, gatehouse.ScopeRead, gatehouse.ScopeAdmin)
	writer := e.key(gatehouse.RoleAuthor, gatehouse.ScopeRead, gatehouse.ScopeWrite)
	bad := reader[:len(reader)-3] + "aaa"
	tests := []struct {
		name, method, path, key string
		status                  int
		forwarded               bool
	}{
		{"public, anonymous", "GET", "/public/a", "", 200, true},
		{"public, with a key", "GET", "/public/a", reader, 200, true},
		{"public, with a bad key", "GET", "/public/a", bad, 401, false},
		{"public GET only", "POST", "/public/a", "", 401, false},
		{"authenticated, anonymous", "GET", "/api/x", "", 401, false},
		{"authenticated, key", "GET", "/api/x", reader, 200, true},
		{"scope missing", "GET", "/api/admin/users", reader, 403, false},
		{"scope held", "GET", "/api/admin/users", admin, 200, true},
		{"two scopes, one missing", "POST", "/api/posts/1/publish", reader, 403, false},
		{"two scopes held", "POST", "/api/posts/1/publish", writer, 200, true},
		{"trailing slash, scope missing", "POST", "/api/posts/1/publish/", reader, 403, false},
		{"trailing slash, two scopes held", "POST", "/api/posts/1/publish/", writer, 200, true},
		{"no rule, anonymous", "GET", "/other", "", 401, false},
		{"no rule, key", "GET", "/other", admin, 403, false},
		{"deny rule, anonymous", "GET", "/public/internal/x", "", 401, false},
		{"deny rule, key", "GET", "/public/internal/x", admin, 403, false},
		{"trailing slash missing", "GET", "/api/admin", reader, 403, false},
		{"health", "GET", "/.gatehouse/health", "", 200, false},
		{"ready", "GET", "/.gatehouse/ready", "", 200, false},
		{"reserved, unknown", "GET", "/auth/login", "", 404, false},
		{"no jwks without assertions", "GET", "/.well-known/jwks.json", "", 404, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.do(tt.method, tt.path, tt.key)
			got := e.up.take()
			if resp.StatusCode != tt.status || (len(got) > 0) != tt.forwarded {
				t.Fatalf("status %d, forwarded %v; want %d, %v", resp.StatusCode, len(got) > 0, tt.status, tt.forwarded)
			}
			if resp.ProtoMajor != 2 {
				t.Errorf("protocol %s, want HTTP/2", resp.Proto)
			}
			if resp.Header.Get("Strict-Transport-Security") == "" || resp.Header.Get("Request-Id") == "" {
				t.Errorf("missing HSTS or Request-Id: %v", resp.Header)
			}
			switch {
			case tt.status == 401:
				if d := problemOf(t, resp); resp.Header.Get("WWW-Authenticate") == "" || d.Status != 401 {
					t.Errorf("401 without a challenge or problem: %v %+v", resp.Header, d)
				}
			case tt.status == 403:
				problemOf(t, resp)
			case tt.forwarded:
				if got[0].RequestURI != tt.path || got[0].Method != tt.method {
					t.Errorf("upstream saw %s %s", got[0].Method, got[0].RequestURI)
				}
			}
		})
	}
}

// TestAnonymousCannotEnumerateRoutes: an anonymous request to a route that
// does not exist is answered exactly like one to a protected route.
func TestAnonymousCannotEnumerateRoutes(t *testing.T) {
	e := newEnv(t, envOpts{})
	a, b := e.do("GET", "/api/admin/real", ""), e.do("GET", "/no/such/route", "")
	da, db := problemOf(t, a), problemOf(t, b)
	da.Instance, db.Instance, da.RequestID, db.RequestID = "", "", "", ""
	if a.StatusCode != b.StatusCode || da != db || a.Header.Get("WWW-Authenticate") != b.Header.Get("WWW-Authenticate") {
		t.Errorf("protected: %d %+v; missing: %d %+v", a.StatusCode, da, b.StatusCode, db)
	}
}

// TestDenialsAreAudited: a denial to an authenticated caller (a missing
// scope, no rule, a deny rule) is in the audit log with its reason, once a
// minute per key and rule.
func TestDenialsAreAudited(t *testing.T) {
	e := newEnv(t, envOpts{})
	reader := e.key(gatehouse.RoleReader, gatehouse.ScopeRead)
	for range 3 {
		e.do("GET", "/api/admin/users", reader)
	}
	e.do("GET", "/nowhere", reader)
	e.do("GET", "/public/internal/x", reader)
	evs, err := e.store.AuditEvents(context.Background(), gatehouse.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, ev := range evs {
		if ev.Action == gateway.ActionDeny {
			reasons = append(reasons, ev.Reason)
			if ev.KeyID == "" || ev.UserID == 0 || !strings.HasPrefix(ev.Detail, "GET /") {
				t.Errorf("event %+v", ev)
			}
			if ev.Reason == "deny_rule" && !strings.Contains(ev.Detail, `(rule at line 10 "GET /public/internal/")`) {
				t.Errorf("a deny rule's event does not name the rule: %+v", ev)
			}
		}
	}
	if strings.Join(reasons, ",") != "deny_rule,no_rule,insufficient_scope" { // newest first
		t.Errorf("denials audited: %v", reasons)
	}
}

// TestFailedAuthenticationIsLimited: the guard's failure limit applies
// through the gateway.
func TestFailedAuthenticationIsLimited(t *testing.T) {
	e := newEnv(t, envOpts{})
	bad := e.key(gatehouse.RoleReader, gatehouse.ScopeRead)
	bad = bad[:len(bad)-3] + "aaa"
	status := 0
	for range guard10 + 1 {
		status = e.do("GET", "/api/x", bad).StatusCode
	}
	if status != http.StatusTooManyRequests {
		t.Errorf("after %d failures: %d, want 429", guard10+1, status)
	}
}

const guard10 = 10 // guard.DefaultFailureBurst

func TestUpstreamDown(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.up.Close()
	resp := e.do("GET", "/public/x", "")
	d := problemOf(t, resp)
	if resp.StatusCode != http.StatusBadGateway || d.Type != "https://gatehouse.dev/problems/upstream_unavailable" {
		t.Errorf("%d %+v", resp.StatusCode, d)
	}
	if resp := e.do("GET", "/.gatehouse/ready", ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("ready with the upstream down: %d", resp.StatusCode)
	} else if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), `"upstream default":"unavailable"`) {
		t.Errorf("ready body %s", b)
	}
}

func TestSlowUpstream(t *testing.T) {
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	e := newEnv(t, envOpts{upstream: slow, adjust: func(c *gateway.Config) { c.UpstreamTimeout = 100e6 }})
	defer close(release)
	resp := e.do("GET", "/public/x", "")
	d := problemOf(t, resp)
	if resp.StatusCode != http.StatusGatewayTimeout || d.Type != "https://gatehouse.dev/problems/upstream_timeout" {
		t.Errorf("%d %+v", resp.StatusCode, d)
	}
}

// TestHostIsCanonical: a Host in another case or with the trailing dot of
// a fully qualified name is the same host to the rules and to the
// upstream, which sees it in X-Forwarded-Host as the rules did.
func TestHostIsCanonical(t *testing.T) {
	routes := "routes:\n  - pattern: \"admin.example/\"\n    scopes: [admin]\n  - pattern: \"/\"\n    access: public\n"
	e := newEnv(t, envOpts{routes: routes})
	admin := e.key(gatehouse.RoleAdmin, gatehouse.ScopeRead, gatehouse.ScopeAdmin)
	for _, host := range []string{"admin.example", "ADMIN.example", "admin.example.", "Admin.Example.:443"} {
		resp := e.raw("GET /x HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
		if got := e.up.take(); resp.StatusCode != 401 || len(got) != 0 {
			t.Errorf("Host %q, anonymous: %d, forwarded %d", host, resp.StatusCode, len(got))
		}
		resp = e.raw("GET /x HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: apikey " + admin + "\r\n\r\n")
		got := e.up.take()
		if resp.StatusCode != 200 || len(got) != 1 {
			t.Fatalf("Host %q, admin: %d, forwarded %d", host, resp.StatusCode, len(got))
		}
		want := "admin.example"
		if _, port, ok := strings.Cut(host, ":"); ok {
			want += ":" + port
		}
		if xfh := got[0].Header.Values("X-Forwarded-Host"); len(xfh) != 1 || xfh[0] != want {
			t.Errorf("Host %q: upstream saw X-Forwarded-Host %q, want %q", host, xfh, want)
		}
	}
	resp := e.raw("GET /x HTTP/1.1\r\nHost: admin.example..\r\n\r\n")
	if got := e.up.take(); resp.StatusCode != 400 || len(got) != 0 {
		t.Errorf("Host with two trailing dots: %d, forwarded %d", resp.StatusCode, len(got))
	}
}

// TestSeveralUpstreams: each request goes to the upstream its rule names,
// by path prefix and by host, and to no other.
func TestSeveralUpstreams(t *testing.T) {
	routes := `upstreams:
  billing:
    url: http://127.0.0.1:1
routes:
  - pattern: "/"
    access: public
  - pattern: "/invoices/"
    access: public
    upstream: billing
  - pattern: "billing.example.com/"
    scopes: [billing]
    upstream: billing
  - pattern: "GET billing.example.com/status"
    access: public
`
	e := newEnv(t, envOpts{routes: routes})
	billing := e.key(gatehouse.RoleAdmin, "billing")
	tests := []struct {
		host, path, key string
		status          int
		to              *upstream // nil: neither
	}{
		{"a.example", "/x", "", 200, e.up},
		{"a.example", "/invoices/7", "", 200, e.other},
		{"a.example", "/invoices", "", 401, nil}, // denied, not redirected to "/invoices/"
		{"billing.example.com", "/x", billing, 200, e.other},
		{"billing.example.com", "/invoices/7", billing, 200, e.other},
		{"billing.example.com", "/x", "", 401, nil},
		{"billing.example.com", "/status", "", 200, e.up},
	}
	for _, tt := range tests {
		req := "GET " + tt.path + " HTTP/1.1\r\nHost: " + tt.host + "\r\n"
		if tt.key != "" {
			req += "Authorization: apikey " + tt.key + "\r\n"
		}
		resp := e.raw(req + "\r\n")
		def, other := e.up.take(), e.other.take()
		if resp.StatusCode != tt.status {
			t.Errorf("%s%s: %d, want %d", tt.host, tt.path, resp.StatusCode, tt.status)
		}
		for _, u := range []struct {
			name string
			up   *upstream
			got  []seen
		}{{"default", e.up, def}, {"billing", e.other, other}} {
			want := 0
			if u.up == tt.to {
				want = 1
			}
			if len(u.got) != want {
				t.Errorf("%s%s: the %s upstream received %d requests, want %d", tt.host, tt.path, u.name, len(u.got), want)
			} else if want == 1 && u.got[0].RequestURI != tt.path {
				t.Errorf("%s%s: the %s upstream received %s", tt.host, tt.path, u.name, u.got[0].RequestURI)
			}
		}
	}
}

// TestReadyProbesUpstreamHealth: an upstream with a health path is ready
// only while a GET of that path answers 2xx; the answer is what counts,
// not that the upstream accepts connections.
func TestReadyProbesUpstreamHealth(t *testing.T) {
	var status atomic.Int32
	status.Store(http.StatusInternalServerError)
	health := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(int(status.Load())) })
	routes := "upstreams:\n  billing:\n    url: http://127.0.0.1:1\n    health: /healthz\n" +
		"routes:\n  - pattern: /\n    access: public\n  - pattern: /billing/\n    access: public\n    upstream: billing\n"
	e := newEnv(t, envOpts{routes: routes, other: health})
	for _, tt := range []struct {
		health, want int
		check        string
	}{
		{http.StatusInternalServerError, http.StatusServiceUnavailable, `"upstream billing":"unavailable"`},
		{http.StatusNoContent, http.StatusOK, `"upstream billing":"ok"`},
	} {
		status.Store(int32(tt.health))
		resp := e.do("GET", "/.gatehouse/ready", "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.want || !strings.Contains(string(body), tt.check) || !strings.Contains(string(body), `"upstream default":"ok"`) {
			t.Errorf("health path answers %d: ready %d %s", tt.health, resp.StatusCode, body)
		}
		if got := e.other.take(); len(got) != 1 || got[0].Method != "GET" || got[0].RequestURI != "/healthz" {
			t.Errorf("health path answers %d: the upstream received %+v, want one GET /healthz", tt.health, got)
		}
	}
}
