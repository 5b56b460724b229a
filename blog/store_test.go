package blog_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
)

func TestPostStore(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Run("versions", func(t *testing.T) { testVersions(t, b.open(t)) })
			t.Run("errors", func(t *testing.T) { testStoreErrors(t, b.open(t)) })
			t.Run("filters", func(t *testing.T) { testFilters(t, b.open(t)) })
		})
	}
}

// testVersions: a write names the version it expects; every write
// increases it; a stale version changes nothing.
func testVersions(t *testing.T, s store) {
	ctx := t.Context()
	u, _ := mustUser(t, s, gatehouse.RoleAuthor)
	p := mustPost(t, s, u.ID, blog.Draft, "First")
	if p.ID == 0 || p.Version != 1 || p.Created.IsZero() || !p.Updated.Equal(p.Created) {
		t.Fatalf("created %+v", p)
	}
	p.Title, p.Status = "Second", blog.Published
	if err := s.UpdatePost(ctx, p, 1); err != nil || p.Version != 2 {
		t.Fatalf("UpdatePost = %v, version %d; want nil, 2", err, p.Version)
	}
	got, err := s.Post(ctx, p.ID)
	if err != nil || got.Title != "Second" || got.Status != blog.Published || got.Version != 2 || !got.Updated.Equal(p.Updated) || !got.Created.Equal(p.Created) {
		t.Fatalf("Post = %+v, %v; want %+v", got, err, p)
	}
	stale := *got
	stale.Title = "Lost update"
	if err := s.UpdatePost(ctx, &stale, 1); !errors.Is(err, blog.ErrStale) || gatehouse.ErrorCode(err) != gatehouse.CodeConflict {
		t.Errorf("UpdatePost with version 1 = %v; want ErrStale, conflict", err)
	}
	if err := s.DeletePost(ctx, p.ID, 1); !errors.Is(err, blog.ErrStale) {
		t.Errorf("DeletePost with version 1 = %v; want ErrStale", err)
	}
	if got, _ := s.Post(ctx, p.ID); got == nil || got.Title != "Second" {
		t.Errorf("after stale writes: %+v; want unchanged", got)
	}
	if err := s.DeletePost(ctx, p.ID, 2); err != nil {
		t.Fatalf("DeletePost: %v", err)
	}
	if _, err := s.Post(ctx, p.ID); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		t.Errorf("Post after delete = %v; want not found", err)
	}
}

func testStoreErrors(t *testing.T, s store) {
	ctx := t.Context()
	missing := &blog.Post{ID: 999, Title: "x", Status: blog.Draft, Version: 1}
	tests := []struct {
		name string
		err  error
		want gatehouse.Code
	}{
		{"get missing", func() error { _, err := s.Post(ctx, 999); return err }(), gatehouse.CodeNotFound},
		{"update missing", s.UpdatePost(ctx, missing, 1), gatehouse.CodeNotFound},
		{"delete missing", s.DeletePost(ctx, 999, 1), gatehouse.CodeNotFound},
		{"author missing", s.CreatePost(ctx, &blog.Post{AuthorID: 999, Title: "x", Status: blog.Draft}), gatehouse.CodeInvalid},
	}
	for _, tt := range tests {
		if got := gatehouse.ErrorCode(tt.err); got != tt.want {
			t.Errorf("%s: %v (code %q); want %q", tt.name, tt.err, got, tt.want)
		}
		if errors.Is(tt.err, blog.ErrStale) {
			t.Errorf("%s: %v is ErrStale", tt.name, tt.err)
		}
	}
}

// testFilters: each selector of a Filter, the cursor and the limit.
func testFilters(t *testing.T, s store) {
	a, _ := mustUser(t, s, gatehouse.RoleAuthor)
	b, _ := mustUser(t, s, gatehouse.RoleAuthor)
	p1 := mustPost(t, s, a.ID, blog.Published, "a published")
	p2 := mustPost(t, s, a.ID, blog.Draft, "a draft")
	p3 := mustPost(t, s, b.ID, blog.Published, "b published")
	p4 := mustPost(t, s, b.ID, blog.Draft, "b draft")
	tests := []struct {
		name string
		f    blog.Filter
		want []*blog.Post
	}{
		{"nothing", blog.Filter{Limit: 10}, nil},
		{"all", blog.Filter{All: true, Limit: 10}, []*blog.Post{p4, p3, p2, p1}},
		{"all, AuthorID ignored", blog.Filter{All: true, AuthorID: a.ID, Limit: 10}, []*blog.Post{p4, p3, p2, p1}},
		{"published", blog.Filter{Published: true, Limit: 10}, []*blog.Post{p3, p1}},
		{"author", blog.Filter{AuthorID: b.ID, Limit: 10}, []*blog.Post{p4, p3}},
		{"published or author", blog.Filter{Published: true, AuthorID: a.ID, Limit: 10}, []*blog.Post{p3, p2, p1}},
		{"limit", blog.Filter{All: true, Limit: 2}, []*blog.Post{p4, p3}},
		{"before", blog.Filter{All: true, Before: p3.ID, Limit: 2}, []*blog.Post{p2, p1}},
		{"before the first", blog.Filter{All: true, Before: p1.ID, Limit: 2}, nil},
	}
	for _, tt := range tests {
		got, err := s.Posts(t.Context(), tt.f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !slices.Equal(ids(got), ids(tt.want)) {
			t.Errorf("%s: got posts %v, want %v", tt.name, ids(got), ids(tt.want))
		}
	}
}

func ids(ps []*blog.Post) []int64 {
	var out []int64
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}
