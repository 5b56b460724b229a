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

// maxScan bounds the posts one List call reads from the store when the
// policy is not the built-in one and every post must be checked with Can.
const maxScan = 10 * MaxLimit

// List returns the posts the principal may read, newest first. With the
// built-in policy the store selects them (see filter); with any other
// policy List reads posts in ID order and keeps those Can allows, so the
// list always agrees with Can. It then reads at most maxScan posts per
// call: a page may hold fewer than the limit, even none, and still have a
// Next.
func (s *Service) List(ctx context.Context, who *gatehouse.Principal, pg Page) (*Listing, error) {
	f, err := page(pg)
	if err != nil {
		return nil, err
	}
	if !s.authz.Builtin() {
		return s.scan(ctx, who, f)
	}
	if f, err = s.filter(ctx, who, f); err != nil {
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
		ok, err := s.can(ctx, who, *p)
		if err != nil {
			return nil, err
		}
		if ok {
			out.Posts = append(out.Posts, p)
		} else {
			s.log.WarnContext(ctx, "the list filter selected a post the policy does not let the caller read", "post", p.ID, "filter", fmt.Sprintf("%+v", f))
		}
	}
	return out, nil
}

// scan pages through every post from f.Before down and keeps the ones the
// principal may read, until it has f.Limit of them, the posts end, or it
// has read maxScan.
func (s *Service) scan(ctx context.Context, who *gatehouse.Principal, f Filter) (*Listing, error) {
	out := &Listing{Posts: make([]*Post, 0, f.Limit)}
	batch := Filter{All: true, Before: f.Before, Limit: MaxLimit}
	for read := 0; read < maxScan; {
		posts, err := s.store.Posts(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("blog: list posts: %w", err)
		}
		for _, p := range posts {
			ok, err := s.can(ctx, who, *p)
			if err != nil {
				return nil, err
			}
			if ok {
				out.Posts = append(out.Posts, p)
			}
			read, out.Next = read+1, p.ID
			if len(out.Posts) == f.Limit {
				return out, nil
			}
		}
		if len(posts) < batch.Limit {
			out.Next = 0
			return out, nil
		}
		batch.Before = out.Next
	}
	return out, nil
}

// filter turns the policy into a store Filter by asking it about three
// sample posts: a draft by nobody (ID 0 is no user), a published post by
// nobody, and a draft by the principal. It implements blog.cedar exactly
// because that policy looks only at the principal's role and whether it
// wrote the post, and at the post's status; the property tests check it.
// List uses the result as a query only with that policy. f is the page's
// filter (see page), which filter completes.
func (s *Service) filter(ctx context.Context, who *gatehouse.Principal, f Filter) (Filter, error) {
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

// page returns the Filter of pg's limit and cursor alone, or a CodeInvalid
// error for a limit or cursor out of range.
func page(pg Page) (Filter, error) {
	f := Filter{Limit: cmp.Or(pg.Limit, DefaultLimit), Before: pg.Before}
	if f.Limit < 1 || f.Limit > MaxLimit {
		return f, gatehouse.Errorf(gatehouse.CodeInvalid, "The limit must be between 1 and %d.", MaxLimit)
	}
	if f.Before < 0 {
		return f, gatehouse.Errorf(gatehouse.CodeInvalid, "The cursor is not valid.")
	}
	return f, nil
}

func (s *Service) can(ctx context.Context, who *gatehouse.Principal, p Post) (bool, error) {
	ok, err := s.authz.Can(ctx, who, policy.Read, resource(&p))
	if err != nil {
		return false, fmt.Errorf("blog: list posts: %w", err)
	}
	return ok, nil
}
