package gateway_test

import (
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/gateway"
)

// TestExplain checks which rule decides each request, including the
// public-route matching traps: a public "GET /healthz" does not make
// POST /healthz, /healthz/, /healthzx or /api/x?/healthz public.
func TestExplain(t *testing.T) {
	tab := mustParse(t, sampleRoutes)
	tests := []struct {
		method, target, host string
		want                 string // the deciding rule's line, "none", "reserved" or "400"
	}{
		{"GET", "/healthz", "", "6"},
		{"HEAD", "/healthz", "", "6"},
		{"POST", "/healthz", "", "none"},
		{"GET", "/healthz/", "", "none"},
		{"GET", "/healthzx", "", "none"},
		{"GET", "/healthz?x=1", "", "6"},
		{"GET", "/api/x?/healthz", "", "12"},
		{"GET", "/api/x%23/healthz", "", "400"},
		{"GET", "/public/", "", "8"},
		{"GET", "/public", "", "none"}, // the mux would redirect; the gateway denies
		{"GET", "/public/a/b", "", "8"},
		{"POST", "/public/a", "", "none"},
		{"GET", "/public/internal/x", "", "10"},
		{"GET", "/public/%69nternal/x", "", "400"},
		{"GET", "/public/Internal/x", "", "8"}, // case matters unless fold_case
		{"GET", "/api/admin/users", "", "14"},
		// Not "/api/" (authenticated only): an upstream that ignores the
		// trailing slash would serve its admin page to any key.
		{"GET", "/api/admin", "", "none"},
		{"GET", "/API/admin/users", "", "none"},
		{"POST", "/api/posts/7/publish", "", "16"},
		{"GET", "/api/posts/7/publish", "", "12"},
		// Not "/api/" either: an upstream that ignores the trailing slash
		// would publish for a read-only key.
		{"POST", "/api/posts/7/publish/", "", "16"},
		{"GET", "/api/posts/7/publish/", "", "12"},
		{"GET", "/api/admin/", "", "14"},
		{"GET", "/api/x/", "", "12"},
		{"GET", "/x", "billing.example.com", "18"},
		{"GET", "/x", "BILLING.example.com:8443", "18"},
		// The trailing dot of a fully qualified name names the same host.
		{"GET", "/x", "billing.example.com.", "18"},
		{"GET", "/x", "Billing.Example.Com.:8443", "18"},
		{"GET", "/x", "billing.example.com..", "400"},
		{"GET", "/x", ".", "400"},
		{"GET", "/x", "[::1]:8443", "none"},
		{"GET", "/api/x", "other.example.com", "12"},
		{"GET", "/.gatehouse/health", "", "reserved"},
		{"GET", "/.well-known/jwks.json", "", "reserved"},
		{"POST", "/auth/login", "", "reserved"},
		{"GET", "/public//x", "", "400"},
		{"GET", "/public/./x", "", "400"},
		{"GET", "/public/../api/admin/", "", "400"},
		{"GET", "/public/%2e%2e/api/admin/", "", "400"},
		{"GET", "/public/..%2fapi/admin/", "", "400"},
		{"GET", "/public;x=1/", "", "400"},
		{"GET", "/public/x;/../../api/admin/", "", "400"},
		{"GET", "/public/%5c..%5capi", "", "400"},
		{"GET", "/public/%00", "", "400"},
		{"GET", "/public/%252e%252e/", "", "400"},
		{"GET", "/public/caf%C3%A9", "", "8"},
		{"GET", "*", "", "400"},
		{"CONNECT", "/public/", "", "400"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target+" "+tt.host, func(t *testing.T) {
			e, err := tab.Explain(tt.method, tt.target, tt.host)
			if err != nil {
				t.Fatal(err)
			}
			got := "none"
			switch {
			case e.Invalid != nil:
				got = "400"
			case e.Reserved:
				got = "reserved"
			case e.Rule != nil:
				got = strconv.Itoa(e.Rule.Line)
			}
			if got != tt.want {
				t.Errorf("decided by %s, want %s (%s)", got, tt.want, e)
			}
		})
	}
}

// TestExplainTrailingSlash: "/x/" must satisfy the rule of "/x" too, which
// many upstreams serve for it: the stricter rule decides, and none when
// they cannot be compared.
func TestExplainTrailingSlash(t *testing.T) {
	tab := mustParse(t, `upstreams:
  billing:
    url: http://127.0.0.1:1
routes:
  - pattern: "/"
    access: public
  - pattern: "GET /a"
    access: public
  - pattern: "/a/"
    access: authenticated
  - pattern: "/b"
    scopes: [admin]
  - pattern: "/b/{$}"
    scopes: [write]
  - pattern: "/c"
    access: public
    upstream: billing
  - pattern: "/d"
    access: deny
  - pattern: "/e"
    scopes: [admin, write]
  - pattern: "/e/{$}"
    scopes: [write]
  - pattern: "/f"
    access: authenticated
  - pattern: "/f/"
    access: authenticated
  - pattern: "/h/"
    access: public
  - pattern: "/h"
    scopes: [admin]
`)
	tests := []struct {
		method, target string
		want           string // the deciding rule's pattern, or "none"
	}{
		{"GET", "/a/", "/a/"},   // public "/a", authenticated "/a/": the latter
		{"POST", "/a/", "/a/"},  // "/a" is GET only: "/" for POST, public
		{"GET", "/a/x/", "/a/"}, // "/a/x" is "/a/"'s too
		{"GET", "/b/", "none"},  // admin or write: neither includes the other
		{"GET", "/c/", "none"},  // another upstream than "/"'s
		{"GET", "/d/", "/d"},    // deny is the strictest
		{"GET", "/e/", "/e"},    // admin and write include write
		{"GET", "/f/", "/f/"},   // two rules asking the same: the path's own
		{"GET", "/g/", "/"},     // "/g" is "/"'s too
		{"GET", "/", "/"},       // the root has no slash to drop
		{"GET", "/b/x/", "/"},   // "/b/x" is "/"'s
		{"GET", "/h/", "/h"},    // a public "/h/" does not waive "/h"'s scopes
	}
	for _, tt := range tests {
		e, err := tab.Explain(tt.method, tt.target, "")
		if err != nil {
			t.Fatal(err)
		}
		got := "none"
		if e.Rule != nil {
			got = e.Rule.Pattern
			if i := strings.IndexByte(got, ' '); i >= 0 {
				got = got[i+1:]
			}
		}
		if got != tt.want {
			t.Errorf("%s %s decided by %s, want %s (%s)", tt.method, tt.target, got, tt.want, e)
		}
	}

	// A denial by two rules that cannot be compared names both, so that
	// "gatehouse routes test" says why; other denials name none.
	conflicts := []struct {
		target        string
		slashed, bare int // the rules' lines
	}{
		{"/b/", 13, 11},
		{"/c/", 5, 15},
	}
	for _, tt := range conflicts {
		e, _ := tab.Explain("GET", tt.target, "")
		if len(e.Conflict) != 2 || e.Conflict[0].Line != tt.slashed || e.Conflict[1].Line != tt.bare {
			t.Errorf("GET %s: conflict %v, want the rules at lines %d and %d", tt.target, e.Conflict, tt.slashed, tt.bare)
			continue
		}
		want := fmt.Sprintf("matches the rule at line %d", tt.slashed)
		if s := e.String(); !strings.Contains(s, want) || !strings.Contains(s, fmt.Sprintf("without it the rule at line %d", tt.bare)) {
			t.Errorf("GET %s explained as %q", tt.target, s)
		}
	}
	for _, target := range []string{"/d/", "/nowhere"} {
		if e, _ := tab.Explain("GET", target, "nohost.example"); len(e.Conflict) != 0 {
			t.Errorf("GET %s: conflict %v, want none", target, e.Conflict)
		}
	}
}

func TestExplainFoldCase(t *testing.T) {
	tab := mustParse(t, "fold_case: true\n"+strings.SplitN(sampleRoutes, "routes:\n", 2)[0]+"routes:\n"+
		"  - pattern: /\n    access: public\n  - pattern: /api/admin/\n    scopes: [admin]\n")
	for _, target := range []string{"/api/admin/x", "/API/Admin/x", "/Api/ADMIN/"} {
		e, _ := tab.Explain("GET", target, "")
		if e.Rule == nil || e.Rule.Pattern != "/api/admin/" {
			t.Errorf("%s decided by %v, want /api/admin/", target, e)
		}
	}
}

func TestExplainString(t *testing.T) {
	tab := mustParse(t, sampleRoutes)
	tests := []struct{ method, target, want string }{
		{"GET", "/api/admin/x", `rule at line 14 "/api/admin/" decides: authenticated, scopes: admin; forwarded to upstream default (http://127.0.0.1:9)`},
		{"GET", "/nothing", "no rule matches: denied (401 without a credential, 403 with one)"},
		{"GET", "/public/internal/", `rule at line 10 "GET /public/internal/" decides: deny`},
		{"GET", "/a//b", "refused with 400 before any rule"},
		{"GET", "/auth/x", "served by the gateway itself"},
	}
	for _, tt := range tests {
		e, err := tab.Explain(tt.method, tt.target, "")
		if err != nil || !strings.HasPrefix(e.String(), tt.want) {
			t.Errorf("%s %s: %q, %v; want %q", tt.method, tt.target, e, err, tt.want)
		}
	}
	if _, err := tab.Explain("GET", "/a b", ""); err == nil {
		t.Error("a target with a space was accepted")
	}
}

// FuzzCheckPath: a path CheckPath accepts is its own canonical form, both
// as sent and once decoded, and decoding adds no separator.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{"/", "/a/b/", "/a%20b", "/%2e%2e/", "/a//b", "/a/./b", "/caf%C3%A9", "/%41", "/a;b", "/..%2f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if gateway.CheckPath(p) != nil {
			return
		}
		dec, err := url.PathUnescape(p)
		if err != nil {
			t.Fatalf("accepted %q, which does not decode: %v", p, err)
		}
		if strings.Count(dec, "/") != strings.Count(p, "/") {
			t.Fatalf("accepted %q, which decodes to another number of segments: %q", p, dec)
		}
		for _, s := range []string{p, dec} {
			clean := path.Clean(s)
			if clean != s && clean+"/" != s {
				t.Fatalf("accepted %q, which cleans to %q", s, clean)
			}
		}
		if strings.ContainsAny(dec, "\\;?#\x00") {
			t.Fatalf("accepted %q, which decodes to %q", p, dec)
		}
	})
}

// TestMatchCacheAgreesWithMux: a table that has seen many requests (more
// than its cache holds, so that entries collide and are replaced) decides
// each as a table that has seen none.
func TestMatchCacheAgreesWithMux(t *testing.T) {
	warm := mustParse(t, sampleRoutes)
	type req struct{ method, target, host string }
	var reqs []req
	for i := range 60 {
		n := strconv.Itoa(i)
		for _, p := range []string{"/api/" + n, "/api/posts/" + n + "/publish", "/public/" + n, "/public/internal/" + n, "/healthz", "/x" + n} {
			for _, m := range []string{"GET", "POST", "HEAD"} {
				for _, h := range []string{"", "billing.example.com", "BILLING.example.com:1"} {
					reqs = append(reqs, req{m, p, h})
				}
			}
		}
	}
	explain := func(tab *gateway.Table, r req) string {
		ex, err := tab.Explain(r.method, r.target, r.host)
		if err != nil {
			t.Fatal(err)
		}
		return ex.String()
	}
	for pass := range 2 {
		for i, r := range reqs {
			if i%7 != pass && pass > 0 {
				continue // the second pass revisits some, now cached or evicted
			}
			got := explain(warm, r)
			if want := explain(mustParse(t, sampleRoutes), r); got != want {
				t.Fatalf("%v: warm table says %q, a fresh one %q", r, got, want)
			}
			if again := explain(warm, r); again != got {
				t.Fatalf("%v: %q, then %q", r, got, again)
			}
		}
	}
}
