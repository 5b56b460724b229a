package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/gateway"
)

// FuzzRouteMatch: deciding a request never panics; a host decides the same
// in any ASCII case and with a fully qualified name's trailing dot; with
// fold_case a path decides the same in lower case; and a path with a
// trailing slash is decided by a rule that asks at least what the rule of
// the path without it asks. The corpus is in testdata/fuzz/FuzzRouteMatch.
func FuzzRouteMatch(f *testing.F) {
	f.Add("GET", "/api/posts/1/publish/", "")
	f.Add("POST", "/public/a/", "billing.example.com.")
	tab := mustParse(f, sampleRoutes)
	fold := mustParse(f, "fold_case: true\n"+strings.ToLower(sampleRoutes))
	f.Fuzz(func(t *testing.T, method, target, host string) {
		for _, tab := range []*gateway.Table{tab, fold} {
			ex, err := tab.Explain(method, target, host)
			if err != nil || ex.Invalid != nil || ex.Reserved {
				continue
			}
			same := func(what, method, target, host string) {
				if other, err := tab.Explain(method, target, host); err != nil || other.String() != ex.String() {
					t.Fatalf("fold=%v %s %s host %q: %s; %s: %v %s", tab.FoldCase, method, target, host, ex, what, err, other)
				}
			}
			same("upper-case host", method, target, asciiCase(host, strings.ToUpper))
			if host != "" && !strings.ContainsAny(host, ":") && !strings.HasSuffix(host, ".") {
				same("host with a trailing dot", method, target, host+".")
			}
			path, query, hasQuery := strings.Cut(target, "?")
			if tab.FoldCase {
				lower := asciiCase(path, strings.ToLower)
				if hasQuery {
					lower += "?" + query
				}
				same("lower-case path", method, lower, host)
			}
			if ex.Rule != nil && len(path) > 1 && strings.HasSuffix(path, "/") {
				bare, err := tab.Explain(method, strings.TrimSuffix(path, "/"), host)
				if err == nil && bare.Rule != nil && !asksAtLeast(ex.Rule, bare.Rule) {
					t.Fatalf("%s %s is decided by %s, which asks less than %s for %s", method, target, ex, bare, strings.TrimSuffix(path, "/"))
				}
			}
		}
	})
}

// asksAtLeast reports whether a request that a allows is one that b
// allows too.
func asksAtLeast(a, b *gateway.Rule) bool {
	switch {
	case a == b || a.Access == gateway.AccessDeny:
		return true
	case b.Access == gateway.AccessDeny || a.Upstream != b.Upstream:
		return false
	case b.Access == gateway.AccessPublic:
		return true
	}
	for _, s := range b.Scopes {
		if a.Access != gateway.AccessAuthenticated || !a.Scopes.Has(s) {
			return false
		}
	}
	return a.Access == gateway.AccessAuthenticated
}

// asciiCase applies f to the ASCII letters of s only.
func asciiCase(s string, f func(string) string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			b[i] = f(string(c))[0]
		}
	}
	return string(b)
}

// FuzzCleanRequestHeaders: whatever header lines a client sends, once the
// gateway has cleaned them no identity header (default or renamed, the
// assertion's included), credential, forwarding or rewrite header remains
// in any spelling, and no Cookie value carries a Gatehouse cookie. The
// input is "Name: value" lines; the corpus is in
// testdata/fuzz/FuzzCleanRequestHeaders.
func FuzzCleanRequestHeaders(f *testing.F) {
	f.Add("X_Gatehouse_User_Id: 1\nCookie: a=b; __HOST-Gatehouse=s\nx-user: 2\n")
	f.Fuzz(func(t *testing.T, lines string) {
		h := http.Header{}
		for line := range strings.SplitSeq(lines, "\n") {
			k, v, _ := strings.Cut(line, ":")
			k = http.CanonicalHeaderKey(k) // as the server hands them over: "x_a" stays "X_a"
			h[k] = append(h[k], strings.TrimSpace(v))
		}
		for k, vs := range gateway.CleanRequestHeaders(h) {
			n := strings.ReplaceAll(strings.ToLower(k), "_", "-")
			if strings.HasPrefix(n, "x-gatehouse-") || strings.HasPrefix(n, "x-forwarded-") || forbiddenRequestHeaders[n] {
				t.Fatalf("%q survived cleaning: %q", k, vs)
			}
			if k != "Cookie" {
				continue
			}
			for _, v := range vs {
				for c := range strings.SplitSeq(v, ";") {
					name, _, _ := strings.Cut(strings.TrimSpace(c), "=")
					name = strings.ToLower(strings.TrimSpace(name))
					name = strings.TrimPrefix(strings.TrimPrefix(name, "__host-"), "__secure-")
					if strings.HasPrefix(name, "gatehouse") {
						t.Fatalf("cookie %q survived cleaning in %q", c, v)
					}
				}
			}
		}
	})
}

// forbiddenRequestHeaders are the normalised names no forwarded request
// carries from a client.
var forbiddenRequestHeaders = map[string]bool{
	"x-user": true, "caller-token": true, "authorization": true, "forwarded": true, "x-forwarded": true,
	"x-real-ip": true, "x-client-ip": true, "true-client-ip": true, "client-ip": true,
	"x-cluster-client-ip": true, "cf-connecting-ip": true, "x-original-forwarded-for": true,
	"x-host": true, "x-original-host": true, "front-end-https": true, "x-url-scheme": true,
	"x-original-url": true, "x-rewrite-url": true, "x-override-url": true, "x-original-method": true,
	"x-http-method-override": true, "x-http-method": true, "x-method-override": true,
}
