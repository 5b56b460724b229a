package server_test

import (
	"fmt"
	"testing"

	"github.com/gatehouse-dev/gatehouse/blog"
)

// TestBlogTour is the README's scripted tour, through the real guard and
// the real policy: scopes decide first, then Cedar.
func TestBlogTour(t *testing.T) { backends(t, testBlogTour) }

func testBlogTour(t *testing.T, h *harness) {
	demo, err := blog.Seed(t.Context(), h.store, h.store)
	if err != nil {
		t.Fatal(err)
	}
	readerRead, _ := h.key(demo.Reader, "r", "read")
	authorRW, _ := h.key(demo.Author, "rw", "read", "write")
	editorRW, _ := h.key(demo.Editor, "rw", "read", "write")
	welcome, hello, draft := demo.Posts[0], demo.Posts[1], demo.Posts[2]
	post := func(p *blog.Post, suffix string) string { return fmt.Sprintf("/api/posts/%d%s", p.ID, suffix) }
	steps := []struct {
		name, method, path, body, key string
		want                          int
		wantErr                       string
	}{
		{"anonymous reads a published post", "GET", fmt.Sprintf("/public/posts/%d", welcome.ID), "", "", 200, ""},
		{"anonymous is refused the API", "GET", "/api/posts", "", "", 401, ""},
		{"the reader's read key lists posts", "GET", "/api/posts", "", readerRead, 200, ""},
		{"the reader's read key cannot update (scope)", "PATCH", post(hello, ""), `{"title":"x"}`, readerRead, 403, "insufficient_scope"},
		{"the scope is refused before any post is fetched", "PATCH", "/api/posts/999", `{"title":"x"}`, readerRead, 403, "insufficient_scope"},
		{"the author edits her own post", "PATCH", post(hello, ""), `{"title":"Hello again"}`, authorRW, 200, ""},
		{"the author cannot edit the editor's post (policy)", "PATCH", post(welcome, ""), `{"title":"mine"}`, authorRW, 403, ""},
		{"the author cannot publish (policy)", "POST", post(draft, "/publish"), "", authorRW, 403, ""},
		{"the draft is invisible to the reader", "GET", post(draft, ""), "", readerRead, 404, ""},
		{"the draft is invisible publicly", "GET", fmt.Sprintf("/public/posts/%d", draft.ID), "", "", 404, ""},
		{"the editor publishes any post", "POST", post(draft, "/publish"), "", editorRW, 200, ""},
		{"now the reader sees it", "GET", post(draft, ""), "", readerRead, 200, ""},
	}
	for _, s := range steps {
		var hdr []string
		if s.key != "" {
			hdr = auth(s.key)
		}
		r := h.do(s.method, s.path, s.body, hdr...)
		if r.status != s.want {
			t.Fatalf("%s: %d, want %d: %s", s.name, r.status, s.want, r.body)
		}
		if s.wantErr != "" && r.problem(t).Error != s.wantErr {
			t.Errorf("%s: error %q, want %q", s.name, r.problem(t).Error, s.wantErr)
		}
	}
}
