package blog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/policy"
)

// Config holds a Service's dependencies.
type Config struct {
	// Store keeps the posts. Required.
	Store PostStore
	// Authorizer makes every decision. Required.
	Authorizer *policy.Authorizer
	// Logger receives disagreements between a list's SQL filter and the
	// policy. Nil discards them.
	Logger *slog.Logger
}

// Service is the blog's application logic: it loads a post, asks the
// Authorizer, then acts. The principal of every method may be nil for an
// anonymous caller.
type Service struct {
	store PostStore
	authz *policy.Authorizer
	log   *slog.Logger
}

// NewService returns a Service, or an error when a dependency is missing.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Authorizer == nil {
		return nil, errors.New("blog: a Service needs a Store and an Authorizer")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: cfg.Store, authz: cfg.Authorizer, log: log}, nil
}

// Edit is a change to a post's title or body; nil fields stay as they are.
type Edit struct {
	Title *string
	Body  *string
}

// Match lists the versions a change expects the post to have (If-Match).
// Nil expects nothing; an empty, non-nil Match matches no version.
type Match []int64

func (m Match) ok(version int64) bool { return m == nil || slices.Contains(m, version) }

// resource is the post as the policy sees it.
func resource(p *Post) policy.Resource {
	return policy.Resource{ID: p.ID, AuthorID: p.AuthorID, Status: string(p.Status)}
}

// Create makes a draft by the principal.
func (s *Service) Create(ctx context.Context, who *gatehouse.Principal, title, body string) (*Post, error) {
	p := &Post{Title: title, Body: body, Status: Draft}
	if who != nil {
		p.AuthorID = who.UserID
	}
	if err := s.require(ctx, who, policy.Create, p); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := s.store.CreatePost(ctx, p); err != nil {
		return nil, fmt.Errorf("blog: create post: %w", err)
	}
	return p, nil
}

// Get returns the post with the given id if the principal may read it; a
// post it may not read is CodeNotFound, like a missing one.
func (s *Service) Get(ctx context.Context, who *gatehouse.Principal, id int64) (*Post, error) {
	p, err := s.store.Post(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("blog: get post %d: %w", id, err)
	}
	ok, err := s.authz.Can(ctx, who, policy.Read, resource(p))
	if err != nil {
		return nil, fmt.Errorf("blog: get post %d: %w", id, err)
	}
	if !ok {
		return nil, fmt.Errorf("blog: get post %d: %w", id, notFound())
	}
	return p, nil
}

// Update applies e to the post if the principal may edit it and it has a
// version m expects.
func (s *Service) Update(ctx context.Context, who *gatehouse.Principal, id int64, m Match, e Edit) (*Post, error) {
	p, err := s.loadFor(ctx, who, policy.Edit, id, m)
	if err != nil {
		return nil, err
	}
	if e.Title != nil {
		p.Title = *e.Title
	}
	if e.Body != nil {
		p.Body = *e.Body
	}
	return p, s.save(ctx, p)
}

// Publish makes the post visible to everyone if the principal may publish
// it and it has a version m expects. Publishing a published post changes
// nothing.
func (s *Service) Publish(ctx context.Context, who *gatehouse.Principal, id int64, m Match) (*Post, error) {
	p, err := s.loadFor(ctx, who, policy.Publish, id, m)
	if err != nil || p.Status == Published {
		return p, err
	}
	p.Status = Published
	return p, s.save(ctx, p)
}

// Delete removes the post if the principal may delete it and it has a
// version m expects.
func (s *Service) Delete(ctx context.Context, who *gatehouse.Principal, id int64, m Match) error {
	p, err := s.loadFor(ctx, who, policy.Delete, id, m)
	if err != nil {
		return err
	}
	if err := s.store.DeletePost(ctx, p.ID, p.Version); err != nil {
		return fmt.Errorf("blog: delete post %d: %w", id, err)
	}
	return nil
}

// loadFor loads the post for a change: CodeNotFound if the principal may
// not read it, CodeForbidden if it may read but not do action, ErrStale if
// its version is not one m expects. The change is then saved against the
// loaded version, so that it never lands on a post the decision did not
// see.
func (s *Service) loadFor(ctx context.Context, who *gatehouse.Principal, action policy.Action, id int64, m Match) (*Post, error) {
	p, err := s.Get(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if err := s.require(ctx, who, action, p); err != nil {
		return nil, fmt.Errorf("blog: %s post %d: %w", action, id, err)
	}
	if !m.ok(p.Version) {
		return nil, fmt.Errorf("blog: %s post %d: %w", action, id, stale())
	}
	return p, nil
}

// save validates p and stores it against the version it was loaded with.
func (s *Service) save(ctx context.Context, p *Post) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.store.UpdatePost(ctx, p, p.Version); err != nil {
		return fmt.Errorf("blog: update post %d: %w", p.ID, err)
	}
	return nil
}

// require returns nil if the principal may do action to p, and otherwise
// CodeForbidden (CodeUnauthenticated for an anonymous caller, who might be
// allowed after signing in).
func (s *Service) require(ctx context.Context, who *gatehouse.Principal, action policy.Action, p *Post) error {
	ok, err := s.authz.Can(ctx, who, action, resource(p))
	switch {
	case err != nil:
		return err
	case ok:
		return nil
	case who == nil:
		return gatehouse.Errorf(gatehouse.CodeUnauthenticated, "Sign in to %s posts.", action)
	}
	return gatehouse.Errorf(gatehouse.CodeForbidden, "You may not %s this post.", action)
}

func notFound() error { return gatehouse.Errorf(gatehouse.CodeNotFound, "No such post.") }

// stale is the error for a version that If-Match did not name.
func stale() error {
	return fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.CodeConflict, "The post has changed since you read it."), ErrStale)
}
