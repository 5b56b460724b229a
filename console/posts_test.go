package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
)

// blogFixture is the demo blog: an editor's published post, an author's
// published post and draft, and a reader.
type blogFixture struct {
	editor, author, reader *gatehouse.User
	welcome, hello, draft  *blog.Post
}

func newBlog(t *testing.T, h *harness) blogFixture {
	t.Helper()
	f := blogFixture{editor: h.user(gatehouse.RoleEditor), author: h.user(gatehouse.RoleAuthor), reader: h.user(gatehouse.RoleReader)}
	mk := func(author int64, st blog.Status, title string) *blog.Post {
		p := &blog.Post{AuthorID: author, Status: st, Title: title, Body: "Body of " + title}
		if err := h.store.CreatePost(t.Context(), p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.welcome = mk(f.editor.ID, blog.Published, "Welcome")
	f.hello = mk(f.author.ID, blog.Published, "Hello")
	f.draft = mk(f.author.ID, blog.Draft, "Secret draft")
	return f
}

func editLinks(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`href="/posts/(\d+)/edit"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestPostsFollowThePolicy checks that each role sees the posts and the
// edit links that blog.cedar gives it, and nothing else.
func TestPostsFollowThePolicy(t *testing.T) {
	h := newHarness(t)
	f := newBlog(t, h)
	tests := []struct {
		name      string
		who       *gatehouse.User
		see, hide []string
		edit      []*blog.Post
	}{
		{"reader", f.reader, []string{"Welcome", "Hello"}, []string{"Secret draft"}, nil},
		{"author", f.author, []string{"Welcome", "Hello", "Secret draft"}, nil, []*blog.Post{f.draft, f.hello}},
		{"editor", f.editor, []string{"Welcome", "Hello", "Secret draft"}, nil, []*blog.Post{f.draft, f.hello, f.welcome}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.signIn(tt.who).get("/posts").mustStatus(t, http.StatusOK)
			checkPage(t, r)
			for _, s := range tt.see {
				if !strings.Contains(r.body, s) {
					t.Errorf("does not see %q", s)
				}
			}
			for _, s := range tt.hide {
				if strings.Contains(r.body, s) {
					t.Errorf("sees %q", s)
				}
			}
			var want []string
			for _, p := range tt.edit {
				want = append(want, itoa(p.ID))
			}
			if got := editLinks(r.body); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("edit links for posts %v, want %v", got, want)
			}
		})
	}
}

// TestForgedPostEditsRefused sends the edit form for posts the policy
// does not let the caller edit: each is refused and the post is unchanged.
func TestForgedPostEditsRefused(t *testing.T) {
	h := newHarness(t)
	f := newBlog(t, h)
	tests := []struct {
		name   string
		who    *gatehouse.User
		post   *blog.Post
		status int
	}{
		{"reader edits a published post (no write scope)", f.reader, f.hello, http.StatusForbidden},
		{"reader edits a draft it cannot see", f.reader, f.draft, http.StatusForbidden},
		{"author edits the editor's post (policy)", f.author, f.welcome, http.StatusForbidden},
		{"no such post", f.editor, &blog.Post{ID: 999}, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := h.signIn(tt.who)
			b.get("/posts/"+itoa(tt.post.ID)+"/edit").mustStatus(t, tt.status)
			form := url.Values{"title": {"defaced"}, "body": {"defaced"}, "version": {"1"}}
			r := b.post("/posts/"+itoa(tt.post.ID), form).mustStatus(t, tt.status)
			if strings.Contains(r.body, "defaced") {
				t.Errorf("the refusal echoes the form")
			}
		})
	}
	for _, p := range []*blog.Post{f.welcome, f.hello, f.draft} {
		got, err := h.posts.Get(t.Context(), &gatehouse.Principal{UserID: f.editor.ID, Role: gatehouse.RoleEditor}, p.ID)
		if err != nil || got.Title != p.Title || got.Version != p.Version {
			t.Errorf("post %d changed: %+v %v", p.ID, got, err)
		}
	}
}

func TestEditOwnPost(t *testing.T) {
	h := newHarness(t)
	f := newBlog(t, h)
	b := h.signIn(f.author)
	form := b.get("/posts/"+itoa(f.hello.ID)+"/edit").mustStatus(t, http.StatusOK)
	checkPage(t, form)
	if !strings.Contains(form.body, `name="version" value="1"`) || !strings.Contains(form.body, "Body of Hello") {
		t.Fatalf("edit form:\n%s", form.body)
	}

	r := b.post("/posts/"+itoa(f.hello.ID), url.Values{"title": {"Hello again"}, "body": {"line 1\r\nline 2"}, "version": {"1"}}).
		mustStatus(t, http.StatusSeeOther)
	if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "/posts?saved=") {
		t.Errorf("Location %q", loc)
	}
	got, _ := h.posts.Get(t.Context(), nil, f.hello.ID)
	if got.Title != "Hello again" || got.Body != "line 1\nline 2" || got.Version != 2 {
		t.Errorf("saved %+v", got)
	}

	t.Run("stale version", func(t *testing.T) {
		r := b.post("/posts/"+itoa(f.hello.ID), url.Values{"title": {"Lost update"}, "body": {"x"}, "version": {"1"}}).mustStatus(t, http.StatusBadRequest)
		if !strings.Contains(r.body, "changed this post while you were editing") || !strings.Contains(r.body, `value="Lost update"`) ||
			!strings.Contains(r.body, `name="version" value="2"`) {
			t.Errorf("stale edit page:\n%s", r.body)
		}
	})
	t.Run("empty title", func(t *testing.T) {
		r := b.post("/posts/"+itoa(f.hello.ID), url.Values{"title": {""}, "body": {"x"}, "version": {"2"}}).mustStatus(t, http.StatusBadRequest)
		if !regexp.MustCompile(`id="title-error">.*title must not be empty`).MatchString(r.body) {
			t.Errorf("no error beside the title:\n%s", r.body)
		}
	})
	if got, _ := h.posts.Get(t.Context(), nil, f.hello.ID); got.Title != "Hello again" {
		t.Errorf("a refused edit was saved: %q", got.Title)
	}
}
