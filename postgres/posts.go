package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/jackc/pgx/v5"
)

var _ blog.PostStore = (*Store)(nil)

const postColumns = `id, author_id, title, body, status, created, updated, version`

// scanPost reads the columns of postColumns.
func scanPost(row pgx.Row) (*blog.Post, error) {
	var p blog.Post
	var status string
	var created, updated time.Time
	if err := row.Scan(&p.ID, &p.AuthorID, &p.Title, &p.Body, &status, &created, &updated, &p.Version); err != nil {
		return nil, err
	}
	p.Status, p.Created, p.Updated = blog.Status(status), created.UTC(), updated.UTC()
	return &p, nil
}

// CreatePost inserts p and sets its ID, Created, Updated and Version. An
// author that does not exist is a CodeInvalid error.
func (s *Store) CreatePost(ctx context.Context, p *blog.Post) error {
	now := stamp(s.now())
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO posts (author_id, title, body, status, created, updated, version)
		VALUES ($1, $2, $3, $4, $5, $5, 1) RETURNING id`,
		p.AuthorID, p.Title, p.Body, string(p.Status), now).Scan(&id)
	if isForeignKey(err) {
		err = fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.CodeInvalid, "The author does not exist."), err)
	}
	if err != nil {
		return fmt.Errorf("postgres: create post: %w", classify(err))
	}
	p.ID, p.Created, p.Updated, p.Version = id, now, now, 1
	return nil
}

// Post returns the post with the given id, or a CodeNotFound error.
func (s *Store) Post(ctx context.Context, id int64) (*blog.Post, error) {
	p, err := scanPost(s.pool.QueryRow(ctx, `SELECT `+postColumns+` FROM posts WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: post %d: %w", id, notFound("No such post."))
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: post %d: %w", id, classify(err))
	}
	return p, nil
}

// UpdatePost saves p's Title, Body and Status if the stored post has the
// given version; see blog.PostStore.
func (s *Store) UpdatePost(ctx context.Context, p *blog.Post, version int64) error {
	now := stamp(s.now())
	err := s.pool.QueryRow(ctx, `UPDATE posts SET title = $1, body = $2, status = $3, updated = $4, version = version + 1
		WHERE id = $5 AND version = $6 RETURNING version`,
		p.Title, p.Body, string(p.Status), now, p.ID, version).Scan(&p.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		err = s.whyNoRow(ctx, p.ID)
	}
	if err != nil {
		return fmt.Errorf("postgres: update post %d: %w", p.ID, classify(err))
	}
	p.Updated = now
	return nil
}

// DeletePost removes the post if it has the given version.
func (s *Store) DeletePost(ctx context.Context, id, version int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM posts WHERE id = $1 AND version = $2`, id, version)
	if err == nil && tag.RowsAffected() == 0 {
		err = s.whyNoRow(ctx, id)
	}
	if err != nil {
		return fmt.Errorf("postgres: delete post %d: %w", id, classify(err))
	}
	return nil
}

// whyNoRow explains a conditional write that matched no row: the post is
// gone (CodeNotFound) or has another version (ErrStale).
func (s *Store) whyNoRow(ctx context.Context, id int64) error {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM posts WHERE id = $1)`, id).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return notFound("No such post.")
	}
	return fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.CodeConflict, "The post has changed since you read it."), blog.ErrStale)
}

// Posts returns the posts f selects, newest first. The WHERE clause is
// blog.Filter word for word; which policy rules the filter stands for is
// the blog package's business (and its property test's).
func (s *Store) Posts(ctx context.Context, f blog.Filter) ([]*blog.Post, error) {
	before := f.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.pool.Query(ctx, `SELECT `+postColumns+` FROM posts
		WHERE ($1 OR ($2 AND status = 'published') OR author_id = $3) AND id < $4
		ORDER BY id DESC LIMIT $5`, f.All, f.Published, f.AuthorID, before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list posts: %w", classify(err))
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*blog.Post, error) { return scanPost(row) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list posts: %w", classify(err))
	}
	return out, nil
}
