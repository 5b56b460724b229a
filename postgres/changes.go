package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/jackc/pgx/v5"
)

const (
	// notifyChannel is the LISTEN/NOTIFY channel of the change feed.
	notifyChannel = "gatehouse_changes"
	// fallbackInterval is how often a watcher reads the table without a
	// notification.
	fallbackInterval = 500 * time.Millisecond
	// changeRetention is how long a change row is kept. Watchers read a
	// change within a second; one that falls further behind than this (a
	// process suspended for an hour) would miss changes: WatchChanges then
	// tells it to drop everything (see gap). The newest row is always kept
	// so that LastChange stays right.
	changeRetention = time.Hour
	// changeBatch bounds the rows read per query.
	changeBatch = 500
)

// changesLock serialises writers of one schema's changes table.
const changesLock = `SELECT pg_advisory_xact_lock(hashtext('gatehouse_changes'), hashtext(current_schema()))`

// errClosed is returned by WatchChanges when the Store is closed under it.
var errClosed = errors.New("postgres: store closed")

// recordChange inserts c in tx, prunes old rows and notifies listeners on
// commit. The advisory lock, held until commit, serialises the writers of
// changes (readers do not wait for it), so changes commit in seq order: a
// watcher that has read seq n can never later see a smaller seq appear. It
// is an advisory lock rather than a table lock because the batch's INSERT
// takes its row lock on the table when parsed, before any LOCK TABLE in the
// same batch would run, and two such writers would deadlock.
func (s *Store) recordChange(ctx context.Context, tx pgx.Tx, c gatehouse.Change) error {
	now := s.now()
	var b pgx.Batch
	b.Queue(changesLock)
	b.Queue(`INSERT INTO changes (user_id, key_id, time) VALUES ($1, $2, $3)`, c.UserID, c.KeyID, now)
	b.Queue(`DELETE FROM changes WHERE time < $1 AND seq < (SELECT max(seq) FROM changes)`, now.Add(-changeRetention))
	b.Queue(`SELECT pg_notify('` + notifyChannel + `', '')`)
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("record change: %w", err)
	}
	return nil
}

// LastChange returns the Seq of the newest change, or 0.
func (s *Store) LastChange(ctx context.Context) (int64, error) {
	var seq int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("postgres: last change: %w", classify(err))
	}
	return seq, nil
}

// WatchChanges calls fn, in order, for every change with Seq > after, until
// ctx ends, and then returns ctx.Err(). It holds a connection of its own
// (outside the pool) that listens for notifications. It returns the first
// error connecting, listening or reading: a watcher that cannot read the
// feed must not let its owner believe that nothing changed, so the caller
// decides when to try again (and from where). When changes after after
// were pruned before it read them, or the table went back (the database
// was restored), fn gets a Change with All set first. fn runs on the
// caller's goroutine and may use the Store.
func (s *Store) WatchChanges(ctx context.Context, after int64, fn func(gatehouse.Change)) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-wctx.Done():
		}
	}()
	err := s.listen(wctx, after, fn)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case wctx.Err() != nil:
		return errClosed
	}
	return fmt.Errorf("postgres: watch changes: %w", classify(err))
}

// listen connects, listens, and delivers changes until ctx ends or the
// connection fails; it always returns an error.
func (s *Store) listen(ctx context.Context, after int64, fn func(gatehouse.Change)) error {
	cc := s.pool.Config().ConnConfig.Copy()
	cc.RuntimeParams["application_name"] = s.listenerName()
	cctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cc)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(cctx, `LISTEN `+notifyChannel); err != nil {
		return err
	}
	for {
		// Read first: changes made before LISTEN took effect were not
		// notified to this connection.
		if err := deliver(ctx, conn, &after, fn); err != nil {
			return err
		}
		if err := wait(ctx, conn); err != nil {
			return err
		}
	}
}

// listenerName names the listening connection in pg_stat_activity, so
// that an operator can tell it from pooled ones.
func (s *Store) listenerName() string {
	if s.schema == "" {
		return "gatehouse-changes"
	}
	return "gatehouse-changes " + s.schema
}

// wait returns when a notification arrives or fallbackInterval passes; an
// error when ctx ends or the connection fails.
func wait(ctx context.Context, conn *pgx.Conn) error {
	tctx, cancel := context.WithTimeout(ctx, fallbackInterval)
	defer cancel()
	_, err := conn.WaitForNotification(tctx)
	if err != nil && ctx.Err() == nil && tctx.Err() != nil && !conn.IsClosed() {
		return nil // the fallback tick
	}
	return err
}

// readTimeout bounds connecting and each read of the feed, so that a
// connection that hangs (a peer gone without a word) is a failure the
// watcher's owner hears of.
const readTimeout = 2 * time.Second

// deliver passes the changes after *after to fn, advancing *after.
func deliver(ctx context.Context, conn *pgx.Conn, after *int64, fn func(gatehouse.Change)) error {
	for {
		rctx, cancel := context.WithTimeout(ctx, readTimeout)
		batch, lo, hi, err := changesAfter(rctx, conn, *after)
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

// gap tells whether a watcher at after may have missed changes, from the
// oldest (lo) and newest (hi) Seq in the table (0 when it is empty), read
// after the changes that follow after. Rows are pruned oldest first, so
// lo > after+1 means that some after after may be gone (or that seqs were
// skipped by rolled-back transactions: dropping a cache for nothing is
// harmless); hi < after means the table went back. resume is where the
// watcher goes on from.
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
// bounds of the table, in one round trip.
func changesAfter(ctx context.Context, conn *pgx.Conn, after int64) (out []gatehouse.Change, lo, hi int64, err error) {
	var b pgx.Batch
	b.Queue(`SELECT seq, user_id, key_id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`, after, changeBatch).Query(func(rows pgx.Rows) error {
		var err error
		out, err = pgx.CollectRows(rows, scanChange)
		return err
	})
	b.Queue(`SELECT coalesce(min(seq), 0), coalesce(max(seq), 0) FROM changes`).QueryRow(func(row pgx.Row) error {
		return row.Scan(&lo, &hi)
	})
	if err := conn.SendBatch(ctx, &b).Close(); err != nil {
		return nil, 0, 0, err
	}
	return out, lo, hi, nil
}

func scanChange(row pgx.CollectableRow) (gatehouse.Change, error) {
	var c gatehouse.Change
	err := row.Scan(&c.Seq, &c.UserID, &c.KeyID)
	return c, err
}
