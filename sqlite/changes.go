package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// pollInterval is how often WatchChanges reads the changes table. Other
// processes sharing the file have no other way to tell us about a change;
// changes this Store makes wake its watchers at once.
const pollInterval = 200 * time.Millisecond

// changeRetention is how long a change row is kept. Rows are only needed
// until every watcher has read them, which takes well under a second; a
// watcher that falls further behind than this (a process suspended for an
// hour) would miss changes: WatchChanges then tells it to drop everything
// (see gap). The newest row is always kept so that LastChange stays right.
const changeRetention = time.Hour

// changeBatch bounds the rows read per query.
const changeBatch = 500

// errClosed is returned by WatchChanges when the Store is closed under it.
var errClosed = errors.New("sqlite: store closed")

// recordChange inserts c in tx and prunes rows older than changeRetention.
func (s *Store) recordChange(ctx context.Context, tx *sql.Tx, c gatehouse.Change) error {
	now := s.now().UnixMilli()
	_, err := tx.ExecContext(ctx, `INSERT INTO changes (user_id, key_id, time) VALUES (?, ?, ?)`, c.UserID, c.KeyID, now)
	if err != nil {
		return fmt.Errorf("record change: %w", err)
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM changes WHERE time < ? AND seq < (SELECT max(seq) FROM changes)`,
		now-changeRetention.Milliseconds())
	if err != nil {
		return fmt.Errorf("prune changes: %w", err)
	}
	return nil
}

// wakeWatchers tells this Store's watchers to read the table now.
func (s *Store) wakeWatchers() {
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

// wakeChan returns the channel the next wakeWatchers closes.
func (s *Store) wakeChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wake
}

// LastChange returns the Seq of the newest change, or 0.
func (s *Store) LastChange(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("sqlite: last change: %w", classify(err))
	}
	return seq, nil
}

// WatchChanges calls fn, in order, for every change with Seq > after, until
// ctx ends, and then returns ctx.Err(). It reads the changes table every
// 200ms, and at once when this Store records a change. It returns the
// first error reading the table: a watcher that cannot read the feed must
// not let its owner believe that nothing changed. When changes after
// after were pruned before it read them, or the table went back (the file
// was restored), fn gets a Change with All set first. fn runs on the
// caller's goroutine and may use the Store.
func (s *Store) WatchChanges(ctx context.Context, after int64, fn func(gatehouse.Change)) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		wake := s.wakeChan()
		if err := s.deliver(ctx, &after, fn); err != nil {
			return s.watchError(ctx, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return errClosed
		case <-t.C:
		case <-wake:
		}
	}
}

// watchError is what WatchChanges returns after failing to read with err.
func (s *Store) watchError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	select {
	case <-s.done:
		return errClosed
	default:
	}
	return fmt.Errorf("sqlite: watch changes: %w", classify(err))
}

// deliver passes the changes after *after to fn, advancing *after.
func (s *Store) deliver(ctx context.Context, after *int64, fn func(gatehouse.Change)) error {
	for {
		rctx, cancel := context.WithTimeout(ctx, readTimeout)
		batch, lo, hi, err := s.changesAfter(rctx, *after)
		cancel()
		if err != nil {
			return err
		}
		if resume, missed := gap(*after, lo, hi); missed {
			*after = resume
			fn(gatehouse.Change{Seq: resume, All: true})
		}
		for _, c := range batch {
			fn(c)
			*after = c.Seq
		}
		if len(batch) < changeBatch {
			return nil
		}
	}
}

// readTimeout bounds one read of the feed, so that a read that hangs is a
// failure the watcher's owner hears of.
const readTimeout = 2 * time.Second

// gap tells whether a watcher at after may have missed changes, from the
// oldest (lo) and newest (hi) Seq in the table (0 when it is empty), read
// after the changes that follow after. Rows are pruned oldest first, so
// lo > after+1 means that some after after may be gone; hi < after means
// the table went back. resume is where the watcher goes on from.
func gap(after, lo, hi int64) (resume int64, missed bool) {
	switch {
	case hi < after:
		return hi, true
	case lo > after+1:
		return after, true
	}
	return after, false
}

// changesAfter reads up to changeBatch changes with Seq > after, then the
// bounds of the table. The rows are read in full before fn sees any, so
// that fn may use the Store.
func (s *Store) changesAfter(ctx context.Context, after int64) (out []gatehouse.Change, lo, hi int64, err error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, user_id, key_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, after, changeBatch)
	if err != nil {
		return nil, 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var c gatehouse.Change
		if err := rows.Scan(&c.Seq, &c.UserID, &c.KeyID); err != nil {
			return nil, 0, 0, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, err
	}
	err = s.r.QueryRowContext(ctx, `SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM changes`).Scan(&lo, &hi)
	return out, lo, hi, err
}
