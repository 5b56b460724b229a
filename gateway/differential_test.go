package gateway_test

import (
	"net/url"
	"path"
	"strings"
	"testing"
)

// attackPaths try to reach /api/ or /public/internal/ (protected) through
// the public /public/ prefix, by normalization tricks a lenient upstream
// might undo.
var attackPaths = []string{
	"/public/../api/admin/x", "/public/%2e%2e/api/admin/x", "/public/%2E%2E/api/admin/", "/public/.%2e/api/",
	"/public/..%2fapi/admin/", "/public/%2fapi/admin", "/public%2f..%2fapi/", "//api/admin/", "///api/x",
	"/public//../api/admin/", "/public/./../api/admin/", "/./api/x", "/public;/../api/admin/",
	"/public/x;/../../api/admin/", "/public/x%3b/../../api/", "/public/%5c..%5capi%5cadmin",
	"/public\\..\\api\\admin", "/public/%252e%252e/api/admin/", "/public/x%00/../../api/",
	"/public/x%09/../../api/", "/PUBLIC/../api/admin/", "/public/%61pi", "/public/x#/../../api/admin/",
	"/public/x%23/../../api/", "/public/x?/../../api/admin/", "/public/internal/../internal/x",
	"/public/internal/", "/public/internal", "/public/./internal/x", "/public//internal/x",
	"/public/%69nternal/x", "/api", "/api/x/..", "/api/x/.", "/public/.", "/public/..",
	"http://h/public/../api/admin/", "/public/x/..;/..;/api/", "/public/%c0%ae%c0%ae/api/",
	"/public/x/%2e/%2e%2e/api/", "/public/x/%u002e%u002e/api/",
}

// lenient is the path an upstream that forgives everything might act on:
// decoded twice, backslashes as slashes, ';' parameters dropped, cleaned.
func lenient(p string) string {
	for range 2 {
		if d, err := url.PathUnescape(p); err == nil {
			p = d
		}
	}
	p = strings.ReplaceAll(p, "\\", "/")
	var segs []string
	for _, s := range strings.Split(p, "/") {
		s, _, _ = strings.Cut(s, ";")
		segs = append(segs, s)
	}
	return path.Clean("/" + strings.Join(segs, "/"))
}

// TestPathDifferential sends each attack anonymously through the real
// gateway to a real upstream that records what it receives, and checks
// that (1) the upstream saw exactly the path the rules decided on, and
// (2) no interpretation of that path reaches a protected prefix.
func TestPathDifferential(t *testing.T) {
	for _, fold := range []bool{false, true} {
		routes := sampleRoutes
		if fold {
			routes = "fold_case: true\n" + routes
		}
		e := newEnv(t, envOpts{routes: routes})
		tab := e.gw.Table()
		targets := attackPaths
		if fold {
			targets = append(targets, "/public/INTERNAL/x", "/Public/Internal/", "/PUBLIC/INTERNAL/x")
		}
		forwarded := 0
		for _, target := range targets {
			resp := e.raw("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n")
			for _, s := range e.up.take() {
				forwarded++
				decided, _, _ := strings.Cut(target, "?")
				if u, err := url.Parse(decided); err == nil && u.Host != "" {
					decided = u.EscapedPath()
				}
				got, _, _ := strings.Cut(s.RequestURI, "?")
				if got != decided {
					t.Errorf("fold=%v %q: upstream saw %q", fold, target, s.RequestURI)
				}
				ex, err := tab.Explain("GET", got, "a")
				if err != nil || ex.Rule == nil || ex.Rule.Access.String() != "public" {
					t.Errorf("fold=%v %q: forwarded anonymously, but the upstream's path is decided by %v", fold, target, ex)
				}
				l := strings.ToLower(lenient(got))
				if strings.HasPrefix(l, "/api") || strings.HasPrefix(l, "/public/internal") {
					t.Errorf("fold=%v %q: forwarded anonymously as %q (%q to a lenient upstream)", fold, target, got, l)
				}
			}
			if resp.StatusCode == 200 && !strings.HasPrefix(target, "/public/") {
				t.Errorf("fold=%v %q: status 200", fold, target)
			}
		}
		if forwarded < 2 { // "/public/x?/../../api/admin/" and "http://h/public/..." at least
			t.Errorf("fold=%v: only %d attacks forwarded: the test proves nothing", fold, forwarded)
		}
	}
}
