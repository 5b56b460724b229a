package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

func TestHealthAndHeaders(t *testing.T) {
	h := newHarness(t)
	r := h.do("GET", "/healthz", "")
	if r.status != 200 || !strings.Contains(string(r.body), `"ok"`) {
		t.Fatalf("healthz %d %s", r.status, r.body)
	}
	for name, want := range map[string]string{
		"Strict-Transport-Security": "max-age=63072000; includeSubDomains",
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "no-referrer",
		"Cache-Control":             "no-store",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("CSP %q", r.header.Get("Content-Security-Policy"))
	}
	if r := h.do("GET", "/readyz", ""); r.status != 200 {
		t.Errorf("readyz %d", r.status)
	}
}

func TestReadyzFailsClosedWhenStoreIsDown(t *testing.T) {
	h := newHarness(t)
	h.store.Close()
	r := h.do("GET", "/readyz", "")
	if d := r.problem(t); r.status != 503 || d.Detail != "" {
		t.Errorf("readyz with a closed store: %d %+v", r.status, d)
	}
}

func TestNotFoundAndMethodNotAllowedAreProblems(t *testing.T) {
	h := newHarness(t)
	if r := h.do("GET", "/nothing-here", ""); r.status != 404 || r.problem(t).Status != 404 {
		t.Errorf("404: %d", r.status)
	}
	r := h.do("POST", "/healthz", "")
	if r.status != 405 || r.problem(t).Status != 405 || !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Errorf("405: %d allow %q", r.status, r.header.Get("Allow"))
	}
}

// TestPublicRouteMatching guards against the public-route matching
// advisories: only GET /healthz itself is public.
func TestPublicRouteMatching(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/healthz", 200},
		{"HEAD", "/healthz", 200},
		{"POST", "/healthz", 405},
		{"GET", "/healthz/", 404},
		{"GET", "/healthzx", 404},
		{"GET", "/HEALTHZ", 404},
		{"GET", "/api/x?/healthz", 401},
		{"GET", "/api/x%23/healthz", 400},
		{"GET", "/api/me/..%2fhealthz", 400},
		{"GET", "/healthz%2f..%2fapi%2fme", 400},
		{"GET", "/api/me;/healthz", 400},
		{"GET", "/api/%2e%2e/healthz", 400},
		{"GET", "/api/me%00", 400},
		{"GET", "/api\\me", 400},
	}
	for _, tt := range tests {
		if r := h.do(tt.method, tt.path, ""); r.status != tt.want {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, r.status, tt.want)
		}
	}
}

// TestRouteEnumeration: an anonymous caller cannot tell real protected
// routes from missing ones.
func TestRouteEnumeration(t *testing.T) {
	h := newHarness(t)
	real := h.do("GET", "/api/keys", "")
	missing := h.do("GET", "/api/no-such-route", "")
	if real.status != 401 || missing.status != 401 {
		t.Fatalf("real %d missing %d, want both 401", real.status, missing.status)
	}
	a, b := real.problem(t), missing.problem(t)
	a.Instance, b.Instance, a.RequestID, b.RequestID = "", "", "", ""
	if a != b {
		t.Errorf("bodies differ:\n%+v\n%+v", a, b)
	}
	if real.header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	// Authenticated, the missing route is a plain 404.
	u := h.user("enum", gatehouse.RoleReader)
	key, _ := h.key(u, "k", "read")
	if r := h.do("GET", "/api/no-such-route", "", auth(key)...); r.status != 404 {
		t.Errorf("authenticated missing route: %d", r.status)
	}
}

// TestDotSegmentsRedirectNotBypass: the router cleans //, /./ and /../ by
// redirecting, never by serving a protected handler as if it were public.
func TestDotSegmentsRedirectNotBypass(t *testing.T) {
	h := newHarness(t)
	for _, p := range []string{"//api/keys", "/./api/keys", "/healthz/../api/keys", "/api//keys"} {
		r := h.do("GET", p, "")
		if r.status != http.StatusPermanentRedirect {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
		if r.header.Get("Location") != "/api/keys" {
			t.Errorf("%s: redirected to %q", p, r.header.Get("Location"))
		}
	}
}

// TestRewriteHeadersIgnored: X-Original-URL and X-Rewrite-URL, honoured by
// some proxies and frameworks, never change which route decides.
func TestRewriteHeadersIgnored(t *testing.T) {
	h := newHarness(t)
	for _, hdr := range []string{"X-Original-URL", "X-Rewrite-URL", "X-Forwarded-Prefix"} {
		if r := h.do("GET", "/api/keys", "", hdr, "/healthz"); r.status != 401 {
			t.Errorf("%s: /healthz on a protected route: %d, want 401", hdr, r.status)
		}
		if r := h.do("GET", "/healthz", "", hdr, "/api/keys"); r.status != 200 || !strings.Contains(string(r.body), `"ok"`) {
			t.Errorf("%s: /api/keys on a public route: %d %s", hdr, r.status, r.body)
		}
	}
}

// TestEnumerationThroughRedirects: an unclean path is redirected whether a
// route exists there or not, and CONNECT is refused alike everywhere.
func TestEnumerationThroughRedirects(t *testing.T) {
	h := newHarness(t)
	real := h.do("GET", "/x/../api/keys", "")
	missing := h.do("GET", "/x/../api/nothing", "")
	if real.status != 308 || missing.status != 308 || missing.header.Get("Location") != "/api/nothing" {
		t.Errorf("real %d, missing %d %q", real.status, missing.status, missing.header.Get("Location"))
	}
	a := h.do("CONNECT", "/api/keys", "")
	b := h.do("CONNECT", "/api/nothing", "")
	if a.status != 405 || b.status != 405 || a.header.Get("Allow") != "" {
		t.Errorf("CONNECT: %d %d allow %q", a.status, b.status, a.header.Get("Allow"))
	}
	a.problem(t)
}
