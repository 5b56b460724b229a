package server_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
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

// TestPublicPostsPathVariants: paths that look like the blog's public
// routes, or that climb out of them, never answer as the public list does
// and never hold a post. "/public/.." is redirected to the cleaned path,
// which then wants a credential; encoded separators and dots are refused;
// the router is case-sensitive; /api/posts/ is a protected path.
func TestPublicPostsPathVariants(t *testing.T) { backends(t, testPublicPostsPathVariants) }

func testPublicPostsPathVariants(t *testing.T, h *harness) {
	demo, err := blog.Seed(t.Context(), h.store, h.store)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, p := range demo.Posts {
		titles = append(titles, p.Title)
	}
	leaks := func(r reply) bool {
		return slices.ContainsFunc(titles, func(s string) bool { return strings.Contains(string(r.body), s) })
	}
	if r := h.do("GET", "/public/posts", ""); r.status != 200 || !leaks(r) {
		t.Fatalf("the public list itself: %d %s", r.status, r.body) // else the checks below prove nothing
	}
	tests := []struct {
		path     string
		want     int
		location string // for a redirect
	}{
		{"/public/../api/posts", http.StatusPermanentRedirect, "/api/posts"},
		{"/public/posts/../../api/posts", http.StatusPermanentRedirect, "/api/posts"},
		{"/public/posts/..%2f..%2fapi/posts", 400, ""},
		{"/public/%2e%2e/api/posts", 400, ""},
		{"/public/posts%2f..%2f..%2fapi%2fposts", 400, ""},
		{"/API/posts", 404, ""},
		{"/PUBLIC/posts", 404, ""},
		{"/api/posts/", 401, ""},
		{"/api/posts", 401, ""},
	}
	for _, tt := range tests {
		r := h.do("GET", tt.path, "")
		if r.status != tt.want || r.header.Get("Location") != tt.location || leaks(r) {
			t.Errorf("%s: %d %q %s, want %d %q and no post", tt.path, r.status, r.header.Get("Location"), r.body, tt.want, tt.location)
		}
		if tt.location != "" {
			if r := h.do("GET", tt.location, ""); r.status != 401 || leaks(r) {
				t.Errorf("%s, redirected to %s: %d %s, want 401", tt.path, tt.location, r.status, r.body)
			}
		}
	}
}
