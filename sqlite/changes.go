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
// hour) misses changes, so its owner should drop its caches after a long
// pause. The newest row is always kept so that LastChange stays right.
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
// 200ms, and at once when this Store records a change. Errors reading the
// table are logged and retried. fn runs on the caller's goroutine and may
// use the Store.
func (s *Store) WatchChanges(ctx context.Context, after int64, fn func(gatehouse.Change)) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		wake := s.wakeChan()
		next, err := s.deliver(ctx, after, fn)
		after = next
		if err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "sqlite: read changes", "err", err)
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

// deliver passes the changes after seq to fn and returns the last Seq seen.
func (s *Store) deliver(ctx context.Context, after int64, fn func(gatehouse.Change)) (int64, error) {
	for {
		batch, err := s.changesAfter(ctx, after)
		for _, c := range batch {
			fn(c)
			after = c.Seq
		}
		if err != nil || len(batch) < changeBatch {
			return after, err
		}
	}
}

// changesAfter reads up to changeBatch changes with Seq > after. The rows
// are read in full before fn sees any, so that fn may use the Store.
func (s *Store) changesAfter(ctx context.Context, after int64) ([]gatehouse.Change, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, user_id, key_id FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`, after, changeBatch)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []gatehouse.Change
	for rows.Next() {
		var c gatehouse.Change
		if err := rows.Scan(&c.Seq, &c.UserID, &c.KeyID); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
