package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/console"
)

// pageURL matches every URL a page emits: links, form actions, assets.
var pageURL = regexp.MustCompile(`(?:href|action|src)="([^"]*)"`)

// outsidePrefix returns the URLs of body that leave the console's prefix;
// sign-in (/auth/) and links within the page are fine.
func outsidePrefix(body string) []string {
	var out []string
	for _, m := range pageURL.FindAllStringSubmatch(body, -1) {
		u := m[1]
		if !strings.HasPrefix(u, prefix+"/") && !strings.HasPrefix(u, "/auth/") && !strings.HasPrefix(u, "#") {
			out = append(out, u)
		}
	}
	return out
}

// TestBasePathEveryURL: under a BasePath, every page's links, forms and
// assets, and every redirect, stay under it, and the posts pages (left out
// without Posts) are linked from nowhere.
func TestBasePathEveryURL(t *testing.T) {
	h := newHarness(t, underPrefix)
	u := h.user(gatehouse.RoleAdmin)
	b := h.signIn(u)
	_, k := h.key(u, "old", "read")
	created := b.post(prefix+"/keys", url.Values{"label": {"new"}, "scope": {"read"}, "expires": {"never"}}).mustStatus(t, http.StatusCreated)
	rolled := b.post(prefix+"/keys/"+k.ID+"/roll", url.Values{"version": {versionOf(k)}, "grace": {"0"}}).mustStatus(t, http.StatusOK)
	pages := map[string]string{"created": created.body, "rolled": rolled.body}
	for _, p := range []string{"/", "/keys", "/keys/" + k.ID, "/keys/" + k.ID + "/revoke", "/keys/" + k.ID + "/roll", "/sessions", "/audit", "/keys/nope"} {
		r := b.get(prefix + p)
		if r.status != http.StatusOK && p != "/keys/nope" {
			t.Fatalf("%s: %d\n%s", p, r.status, r.body)
		}
		pages[p] = r.body
	}
	pages["signed out"] = h.anonymous().get(prefix+"/").mustStatus(t, 200).body
	for name, body := range pages {
		if bad := outsidePrefix(body); len(bad) > 0 {
			t.Errorf("%s links outside %s: %q", name, prefix, bad)
		}
		if strings.Contains(body, "/posts") {
			t.Errorf("%s links to the posts pages, which are left out", name)
		}
	}
	if !strings.Contains(created.body, h.url+prefix+"/me") {
		t.Errorf("the samples do not call SamplePath:\n%s", created.body)
	}
	css := assetURL(t, strings.ReplaceAll(pages["/"], prefix+"/assets/", "/assets/"), "console.css")
	if r := b.get(prefix + css); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet under the prefix: %d %s", r.status, r.header.Get("Content-Type"))
	}
	redirects := []struct {
		name, method, path string
		form               url.Values
		from               *browser
		want               string
	}{
		{"anonymous page", "GET", "/keys", nil, h.anonymous(), prefix + "/"},
		{"revoke", "POST", "/keys/" + k.ID + "/revoke", url.Values{}, b, prefix + "/keys?revoked=" + k.ID},
		{"sign out everywhere", "POST", "/sessions/end-all", url.Values{}, b, prefix + "/"},
	}
	for _, tt := range redirects {
		var r reply
		if tt.method == "GET" {
			r = tt.from.get(prefix + tt.path)
		} else {
			r = tt.from.post(prefix+tt.path, tt.form)
		}
		if r.status != http.StatusSeeOther || r.header.Get("Location") != tt.want {
			t.Errorf("%s: %d to %q, want 303 to %q", tt.name, r.status, r.header.Get("Location"), tt.want)
		}
	}
}

// TestBasePathRoutes: under a BasePath the pages are not at the root, the
// posts pages are not served, and who-am-I answers a key.
func TestBasePathRoutes(t *testing.T) {
	h := newHarness(t, underPrefix)
	u := h.user(gatehouse.RoleEditor)
	b := h.signIn(u)
	secret, _ := h.key(u, "k", "read")
	for _, p := range []string{"/keys", "/sessions", "/audit", prefix + "/posts", prefix + "/posts/1/edit"} {
		if r := b.get(p); r.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.status)
		}
	}
	if r := h.withKey("GET", prefix+"/me", secret); r.status != 200 || !strings.Contains(r.body, `"auth_method": "apikey"`) {
		t.Errorf("%s/me with a key: %d %s", prefix, r.status, r.body)
	}
	if r := h.withKey("GET", prefix+"/keys", secret); r.status != http.StatusForbidden {
		t.Errorf("a console page with a key: %d, want 403", r.status)
	}
}

// TestNewChecksBasePath refuses base paths that would not be one plain
// path prefix.
func TestNewChecksBasePath(t *testing.T) {
	h := newHarness(t)
	for _, tt := range []struct {
		base string
		ok   bool
	}{
		{"", true}, {"/.gatehouse", true}, {"/a/b-c_d~e", true},
		{"/", false}, {".gatehouse", false}, {"/x/", false}, {"//x", false}, {"/a/../b", false}, {"/./a", false},
		{"/a b", false}, {"/a?b", false}, {"/a%2fb", false}, {`/a"b`, false}, {"/é", false},
	} {
		_, err := console.New(console.Config{Keys: h.keys, Audit: h.store, Users: h.store, Sessions: h.sessions, BasePath: tt.base})
		if (err == nil) != tt.ok {
			t.Errorf("BasePath %q: err %v", tt.base, err)
		}
	}
	if _, err := console.New(console.Config{Keys: h.keys, Posts: h.posts, Audit: h.store, Users: h.store, Sessions: h.sessions}); err == nil {
		t.Error("Posts without Policy accepted")
	}
}
