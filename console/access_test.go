package console_test

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
)

// unsafeRoutes lists every console form, with a body that would succeed.
func unsafeRoutes(t *testing.T, h *harness, u *gatehouse.User, b *browser) []struct {
	path string
	form url.Values
} {
	_, k := h.key(u, "target "+rand.Text()[:4], "read")
	_, k2 := h.key(u, "target "+rand.Text()[:4], "read")
	post := &blog.Post{AuthorID: u.ID, Title: "mine", Body: "x", Status: blog.Draft}
	if err := h.store.CreatePost(t.Context(), post); err != nil {
		t.Fatal(err)
	}
	other := h.signIn(u)
	sessions, _ := h.store.Sessions(t.Context(), u.ID)
	var otherID string
	for _, s := range sessions {
		if s.Hash != sha(other.cookie.Value) {
			continue
		}
		otherID = s.ID
	}
	return []struct {
		path string
		form url.Values
	}{
		{"/keys", url.Values{"label": {"forged " + rand.Text()[:4]}, "scope": {"read"}, "expires": {"never"}}},
		{"/keys/" + k.ID + "/revoke", url.Values{}},
		{"/keys/" + k2.ID + "/roll", url.Values{"grace": {"0"}, "version": {versionOf(k2)}}},
		{"/posts/" + itoa(post.ID), url.Values{"title": {"forged"}, "body": {"x"}, "version": {"1"}}},
		{"/sessions/" + otherID + "/end", url.Values{}},
		{"/sessions/end-all", url.Values{}},
	}
}

// TestCrossOriginFormsRefused is the CSRF check: a form posted from
// another site is refused by every console route, whatever its body, and
// changes nothing; the same form from the console's own pages works.
func TestCrossOriginFormsRefused(t *testing.T) {
	h := newHarness(t)
	u := h.user(gatehouse.RoleAuthor)
	b := h.signIn(u)
	forged := []struct {
		name string
		hdr  []string
	}{
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}},
		{"Origin of another site", []string{"Origin", "https://evil.example"}},
		{"Origin of another port", []string{"Origin", "https://127.0.0.1:1"}},
		{"null Origin", []string{"Origin", "null"}},
		{"neither Origin nor Sec-Fetch-Site", nil},
	}
	for _, rt := range unsafeRoutes(t, h, u, b) {
		for _, f := range forged {
			t.Run(rt.path+"/"+f.name, func(t *testing.T) {
				r := b.do(http.MethodPost, rt.path, rt.form, f.hdr...)
				if r.status != http.StatusForbidden {
					t.Fatalf("status %d, want 403:\n%s", r.status, r.body)
				}
			})
		}
	}
	keys, _ := h.keys.List(t.Context(), u.ID)
	if len(keys) != 2 {
		t.Errorf("forged forms made keys: %d, want 2", len(keys))
	}
	for _, k := range keys {
		if !k.Revoked.IsZero() || !k.Rolled.IsZero() {
			t.Errorf("a forged form changed key %q", k.Label)
		}
	}
	if p, _ := h.posts.Get(t.Context(), nil, 1); p != nil && p.Title != "mine" {
		t.Errorf("a forged form edited a post")
	}
	if s, _ := h.store.Sessions(t.Context(), u.ID); len(s) != 2 {
		t.Errorf("forged forms ended sessions: %d left, want 2", len(s))
	}
	// The same forms from the console itself go through.
	for _, rt := range unsafeRoutes(t, h, u, b) {
		if r := b.post(rt.path, rt.form); r.status >= 400 {
			t.Errorf("same-origin POST %s: %d\n%s", rt.path, r.status, r.body)
		}
	}
}

func TestPagesNeedABrowserSession(t *testing.T) {
	h := newHarness(t)
	u := h.user(gatehouse.RoleAdmin)
	secret, _ := h.key(u, "admin key", "read", "write", "keys", "admin")
	pages := []string{"/keys", "/keys/abcdefghijklmnop", "/keys/abcdefghijklmnop/roll", "/sessions", "/posts", "/posts/1/edit", "/audit"}
	for _, path := range pages {
		t.Run("anonymous GET "+path, func(t *testing.T) {
			r := h.anonymous().get(path).mustStatus(t, http.StatusSeeOther)
			if loc := r.header.Get("Location"); loc != "/" {
				t.Errorf("Location %q, want /", loc)
			}
		})
		t.Run("API key GET "+path, func(t *testing.T) {
			h.withKey(http.MethodGet, path, secret).mustStatus(t, http.StatusForbidden)
		})
	}
	t.Run("anonymous POST /keys", func(t *testing.T) {
		h.anonymous().post("/keys", url.Values{"label": {"x"}, "scope": {"read"}, "expires": {"never"}}).mustStatus(t, http.StatusSeeOther)
	})
	t.Run("API key POST /keys", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, h.url+"/keys", strings.NewReader("label=x&scope=read&expires=never"))
		req.Header.Set("Authorization", "apikey "+secret)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.send(req).mustStatus(t, http.StatusForbidden)
	})
	if keys, _ := h.keys.List(t.Context(), u.ID); len(keys) != 1 {
		t.Errorf("%d keys, want only the admin's first", len(keys))
	}
}

func TestHome(t *testing.T) {
	h := newHarness(t)
	out := h.anonymous().get("/").mustStatus(t, http.StatusOK)
	checkPage(t, out)
	if !strings.Contains(out.body, `href="/auth/login?provider=dev"`) || !strings.Contains(out.body, "Sign in with Development provider") {
		t.Errorf("signed-out home lacks the provider:\n%s", out.body)
	}
	if strings.Contains(out.body, `href="/keys"`) || strings.Contains(out.body, "Sign out") {
		t.Errorf("signed-out home links to pages that need a session")
	}
	u := h.user(gatehouse.RoleEditor)
	in := h.signIn(u).get("/").mustStatus(t, http.StatusOK)
	for _, want := range []string{u.Email, "editor", `href="/keys"`, `action="/auth/logout"`} {
		if !strings.Contains(in.body, want) {
			t.Errorf("signed-in home lacks %q", want)
		}
	}
	if strings.Contains(in.body, "provider=dev") {
		t.Errorf("signed-in home offers to sign in")
	}
}

func TestAssets(t *testing.T) {
	h := newHarness(t)
	page := h.anonymous().get("/")
	css := h.anonymous().get(assetURL(t, page.body, "console.css")).mustStatus(t, http.StatusOK)
	if ct := css.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("stylesheet Content-Type %q", ct)
	}
	if cc := css.header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("versioned stylesheet Cache-Control %q", cc)
	}
	js := h.anonymous().get("/assets/copy.js").mustStatus(t, http.StatusOK)
	if ct := js.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("script Content-Type %q", ct)
	}
	if cc := js.header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("unversioned script Cache-Control %q", cc)
	}
	for _, path := range []string{"/assets/missing.css", "/assets/", "/assets/../console.go"} {
		if r := h.anonymous().get(path); r.status == http.StatusOK {
			t.Errorf("%s: 200", path)
		}
	}
}
