package sso_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/sso"
)

// TestReturnToOpenRedirect is named after the open-redirect advisories of
// peers (oauth2-proxy, Pomerium): every input below once sent a browser to
// another host after login somewhere.
func TestReturnToOpenRedirect(t *testing.T) {
	for _, in := range openRedirects {
		if got := sso.ReturnTo(in); got != "/" {
			t.Errorf("ReturnTo(%q) = %q, want /", in, got)
		}
	}
}

// openRedirects are return_to values that must fall back to "/".
var openRedirects = []string{
	"",
	"//evil.com",
	"///evil.com",
	"/\\evil.com",
	"\\/evil.com",
	"/%09/evil.com",
	"/\t/evil.com",
	"/\n/evil.com",
	"/\r\n/evil.com",
	"/%5cevil.com",
	"/%5Cevil.com",
	"/%2f%2fevil.com",
	"/%2F/evil.com",
	"https:evil.com",
	"https://evil.com",
	"https://app@evil.com",
	"http://localhost@evil.com/",
	"javascript:alert(1)",
	"evil.com",
	"/ /evil.com",
	"/\x00/evil.com",
	"/\x7f/evil.com",
	"/%00",
	"/%0a",
	"/..",
	"/../evil",
	"/a/../../evil",
	"/.//evil.com",
	"/%2e%2e/evil",
	"/%2E/evil",
	"/a\\b",
	"/\"onmouseover=alert(1)",
	"/'/evil",
	"/<script>",
	"/é",
	"/%",
	"/%4",
	"/%zz",
	"/%25",
	"/" + strings.Repeat("a", 2048),
}

func TestReturnToKeepsLocalPaths(t *testing.T) {
	for _, in := range []string{
		"/",
		"/posts",
		"/posts/42?tab=comments&x=1",
		"/posts#top",
		"/a/b/c/",
		"/search?q=a%20b",
		"/~user/file.txt",
		"/a..b/.c",
		"/x@y:z",
	} {
		if got := sso.ReturnTo(in); got != in {
			t.Errorf("ReturnTo(%q) = %q, want it unchanged", in, got)
		}
	}
}

// FuzzReturnTo checks the validator's contract on any input: the result is
// a fixed point, starts with one "/" not followed by "/" or "\", and
// resolves against the app's origin to that same origin.
func FuzzReturnTo(f *testing.F) {
	for _, s := range openRedirects {
		f.Add(s)
	}
	f.Add("/posts?x=1#y")
	base, _ := url.Parse("https://app.example/")
	f.Fuzz(func(t *testing.T, in string) {
		out := sso.ReturnTo(in)
		if again := sso.ReturnTo(out); again != out {
			t.Fatalf("ReturnTo(%q) = %q, but ReturnTo(%q) = %q", in, out, out, again)
		}
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") {
			t.Fatalf("ReturnTo(%q) = %q: not a single leading slash", in, out)
		}
		u, err := url.Parse(out)
		if err != nil {
			t.Fatalf("ReturnTo(%q) = %q does not parse: %v", in, out, err)
		}
		if r := base.ResolveReference(u); r.Host != base.Host || r.Scheme != base.Scheme || r.User != nil {
			t.Fatalf("ReturnTo(%q) = %q resolves to %s", in, out, r)
		}
	})
}
