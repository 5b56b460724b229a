package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
)

var _ blog.PostStore = (*Store)(nil)

const postColumns = `id, author_id, title, body, status, created, updated, version`

// scanPost reads the columns of postColumns.
func scanPost(row scanner) (*blog.Post, error) {
	var p blog.Post
	var created, updated sql.NullInt64
	if err := row.Scan(&p.ID, &p.AuthorID, &p.Title, &p.Body, &p.Status, &created, &updated, &p.Version); err != nil {
		return nil, err
	}
	p.Created, p.Updated = fromMillis(created), fromMillis(updated)
	return &p, nil
}

// CreatePost inserts p and sets its ID, Created, Updated and Version. An
// author that does not exist is a CodeInvalid error.
func (s *Store) CreatePost(ctx context.Context, p *blog.Post) error {
	now := stamp(s.now())
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO posts (author_id, title, body, status, created, updated, version)
		VALUES (?, ?, ?, ?, ?, ?, 1) RETURNING id`,
		p.AuthorID, p.Title, p.Body, p.Status, now.UnixMilli(), now.UnixMilli()).Scan(&id)
	if isForeignKey(err) {
		err = fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.CodeInvalid, "The author does not exist."), err)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create post: %w", classify(err))
	}
	p.ID, p.Created, p.Updated, p.Version = id, now, now, 1
	return nil
}

// Post returns the post with the given id, or a CodeNotFound error.
func (s *Store) Post(ctx context.Context, id int64) (*blog.Post, error) {
	p, err := scanPost(s.r.QueryRowContext(ctx, `SELECT `+postColumns+` FROM posts WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: post %d: %w", id, notFound("No such post."))
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: post %d: %w", id, classify(err))
	}
	return p, nil
}

// UpdatePost saves p's Title, Body and Status if the stored post has the
// given version; see blog.PostStore.
func (s *Store) UpdatePost(ctx context.Context, p *blog.Post, version int64) error {
	now := stamp(s.now())
	err := s.w.QueryRowContext(ctx, `UPDATE posts SET title = ?, body = ?, status = ?, updated = ?, version = version + 1
		WHERE id = ? AND version = ? RETURNING version`,
		p.Title, p.Body, p.Status, now.UnixMilli(), p.ID, version).Scan(&p.Version)
	if errors.Is(err, sql.ErrNoRows) {
		err = s.whyNoRow(ctx, p.ID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: update post %d: %w", p.ID, classify(err))
	}
	p.Updated = now
	return nil
}

// DeletePost removes the post if it has the given version.
func (s *Store) DeletePost(ctx context.Context, id, version int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM posts WHERE id = ? AND version = ?`, id, version)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = s.whyNoRow(ctx, id)
		}
	}
	if err != nil {
		return fmt.Errorf("sqlite: delete post %d: %w", id, classify(err))
	}
	return nil
}

// whyNoRow explains a conditional write that matched no row: the post is
// gone (CodeNotFound) or has another version (ErrStale).
func (s *Store) whyNoRow(ctx context.Context, id int64) error {
	var n int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
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
	rows, err := s.r.QueryContext(ctx, `SELECT `+postColumns+` FROM posts
		WHERE (? OR (? AND status = 'published') OR author_id = ?) AND id < ?
		ORDER BY id DESC LIMIT ?`, f.All, f.Published, f.AuthorID, before, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list posts: %w", classify(err))
	}
	defer rows.Close()
	out := make([]*blog.Post, 0, f.Limit)
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list posts: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list posts: %w", classify(err))
	}
	return out, nil
}
