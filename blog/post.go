// Package blog is the demo API that Gatehouse serves: posts with an author,
// a title, a Markdown body and a status, written the way an embedding
// application would write it.
//
// # Who may do what
//
// A Service loads a post, asks the policy (policy.Authorizer.Can) whether
// the caller may act on it, then acts. It never compares roles or owners
// itself. A denied read of an existing post looks like a missing post (no
// existence leak); a denied write of a post the caller may read is
// forbidden.
//
// # Lists
//
// A list cannot ask the policy post by post over the whole table, so with
// the built-in policy (policy.Authorizer.Builtin) the store filters in SQL
// with a Filter, which the Service derives by asking the policy about three
// sample posts: a draft by nobody, a published post by nobody and a draft
// by the caller. The Service then checks every listed post with Can as
// well, so the policy has the last word even if the two disagree; the
// property tests prove that they agree for blog.cedar on both backends.
// That derivation holds only for rules shaped like blog.cedar's, so with a
// replaced policy the Service reads posts newest first and keeps those Can
// allows, a bounded number per page.
//
// # Versions
//
// Every change of a post increases its Version, which the API sends as the
// ETag. Updates and deletes may name the versions they expect (If-Match);
// a stale one is refused with an error wrapping ErrStale.
package blog

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse"
)

// Status says whether a post is visible to everyone.
type Status string

// The statuses of a post.
const (
	Draft     Status = "draft"     // visible to its author and editors
	Published Status = "published" // visible to everyone
)

// Limits on a post's fields.
const (
	MaxTitle = 200        // characters
	MaxBody  = 100 * 1024 // bytes
)

// Post is a blog post. The body is Markdown, stored as text.
type Post struct {
	ID       int64
	AuthorID int64
	Title    string
	Body     string
	Status   Status
	Created  time.Time
	Updated  time.Time
	// Version starts at 1 and increases with every change.
	Version int64
}

// Validate checks the fields a caller sets: a title of 1 to MaxTitle
// characters on one line, a body of at most MaxBody bytes, and a known
// status. NUL and other control characters are refused (PostgreSQL cannot
// store NUL in text, and a title is shown on one line).
func (p *Post) Validate() error {
	n := utf8.RuneCountInString(p.Title)
	switch {
	case n == 0 || strings.TrimSpace(p.Title) == "":
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The title must not be empty.")
	case n > MaxTitle:
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The title has %d characters; at most %d are allowed.", n, MaxTitle)
	case strings.ContainsFunc(p.Title, unicode.IsControl):
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The title must not contain control characters.")
	case len(p.Body) > MaxBody:
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body has %d bytes; at most %d are allowed.", len(p.Body), MaxBody)
	case strings.ContainsFunc(p.Body, badBodyRune):
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body must not contain control characters other than tab and line breaks.")
	case p.Status != Draft && p.Status != Published:
		return gatehouse.Errorf(gatehouse.CodeInvalid, "Unknown status %q.", p.Status)
	}
	return nil
}

func badBodyRune(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
}

// ErrStale is wrapped by the error of an update or delete that expected a
// version the post no longer has. The error also carries CodeConflict.
var ErrStale = errors.New("blog: the post has changed")

// Filter selects the posts a list returns. The Service derives it from the
// policy; storage applies it literally.
type Filter struct {
	// All selects every post; the other selectors then do not matter.
	All bool
	// Published selects every published post.
	Published bool
	// AuthorID, when not 0, selects every post of that author, drafts
	// included.
	AuthorID int64
	// Before, when not 0, selects only posts with a smaller ID: the cursor.
	Before int64
	// Limit is the most posts to return; it must be positive.
	Limit int
}

// PostStore keeps posts. sqlite.Store and postgres.Store implement it.
// Errors carry a Code: CodeNotFound for a missing post, CodeInvalid for an
// author that does not exist, CodeUnavailable when the store is down.
type PostStore interface {
	// CreatePost inserts p, setting its ID, Created, Updated and Version
	// (1). p.AuthorID must name a user.
	CreatePost(ctx context.Context, p *Post) error
	// Post returns the post with the given id.
	Post(ctx context.Context, id int64) (*Post, error)
	// UpdatePost saves p's Title, Body and Status if the stored post still
	// has the given version, and sets p's Updated and Version. Otherwise
	// the error wraps ErrStale (and CodeConflict).
	UpdatePost(ctx context.Context, p *Post, version int64) error
	// DeletePost removes the post if it still has the given version;
	// otherwise the error wraps ErrStale (and CodeConflict).
	DeletePost(ctx context.Context, id, version int64) error
	// Posts returns the posts f selects, newest (highest ID) first.
	Posts(ctx context.Context, f Filter) ([]*Post, error)
}
