package blog

import (
	"cmp"
	"context"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/policy"
)

// List limits.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Page asks for one page of a list.
type Page struct {
	// Limit is the most posts to return: 0 means DefaultLimit; more than
	// MaxLimit is an error.
	Limit int
	// Before continues a list: the Next of the previous page. 0 starts
	// with the newest post.
	Before int64
}

// Listing is one page of posts, newest first.
type Listing struct {
	Posts []*Post
	// Next is the Page.Before of the next page, or 0 after the last one.
	Next int64
}

// List returns the posts the principal may read, newest first.
func (s *Service) List(ctx context.Context, who *gatehouse.Principal, pg Page) (*Listing, error) {
	f, err := s.filter(ctx, who, pg)
	if err != nil {
		return nil, err
	}
	posts, err := s.store.Posts(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("blog: list posts: %w", err)
	}
	out := &Listing{Posts: make([]*Post, 0, len(posts))}
	if len(posts) == f.Limit {
		out.Next = posts[len(posts)-1].ID
	}
	for _, p := range posts {
		ok, err := s.authz.Can(ctx, who, policy.Read, resource(p))
		if err != nil {
			return nil, fmt.Errorf("blog: list posts: %w", err)
		}
		if ok {
			out.Posts = append(out.Posts, p)
		} else {
			s.log.WarnContext(ctx, "the list filter selected a post the policy does not let the caller read", "post", p.ID, "filter", fmt.Sprintf("%+v", f))
		}
	}
	return out, nil
}

// filter turns the policy into a store Filter by asking it about three
// sample posts: a draft by nobody (ID 0 is no user), a published post by
// nobody, and a draft by the principal. It implements blog.cedar exactly
// because that policy looks only at the principal's role and whether it
// wrote the post, and at the post's status; the property tests check it.
func (s *Service) filter(ctx context.Context, who *gatehouse.Principal, pg Page) (Filter, error) {
	f := Filter{Limit: cmp.Or(pg.Limit, DefaultLimit), Before: pg.Before}
	if f.Limit < 1 || f.Limit > MaxLimit {
		return f, gatehouse.Errorf(gatehouse.CodeInvalid, "The limit must be between 1 and %d.", MaxLimit)
	}
	if f.Before < 0 {
		return f, gatehouse.Errorf(gatehouse.CodeInvalid, "The cursor is not valid.")
	}
	var err error
	if f.All, err = s.can(ctx, who, Post{Status: Draft}); err != nil || f.All {
		return f, err
	}
	if f.Published, err = s.can(ctx, who, Post{Status: Published}); err != nil || who == nil {
		return f, err
	}
	own, err := s.can(ctx, who, Post{AuthorID: who.UserID, Status: Draft})
	if own {
		f.AuthorID = who.UserID
	}
	return f, err
}

func (s *Service) can(ctx context.Context, who *gatehouse.Principal, p Post) (bool, error) {
	ok, err := s.authz.Can(ctx, who, policy.Read, resource(&p))
	if err != nil {
		return false, fmt.Errorf("blog: list posts: %w", err)
	}
	return ok, nil
}
