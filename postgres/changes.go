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
	// notification, and how long it waits before reconnecting.
	fallbackInterval = 500 * time.Millisecond
	// changeRetention is how long a change row is kept. Watchers read a
	// change within a second; one that falls further behind than this (a
	// process suspended for an hour) misses changes, so its owner should
	// drop its caches after a long pause. The newest row is always kept so
	// that LastChange stays right.
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
// (outside the pool) that listens for notifications; when that connection
// fails it logs the error and reconnects, reading what it missed. fn runs
// on the caller's goroutine and may use the Store.
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
	for wctx.Err() == nil {
		err := s.listen(wctx, &after, fn)
		if wctx.Err() != nil {
			break
		}
		s.log.WarnContext(ctx, "postgres: change feed interrupted; reconnecting", "err", err)
		sleep(wctx, fallbackInterval)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errClosed
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// listen connects, listens, and delivers changes until ctx ends or the
// connection fails.
func (s *Store) listen(ctx context.Context, after *int64, fn func(gatehouse.Change)) error {
	cc := s.pool.Config().ConnConfig.Copy()
	cc.RuntimeParams["application_name"] = s.listenerName()
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return classify(err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN `+notifyChannel); err != nil {
		return err
	}
	for {
		// Read first: changes made before LISTEN took effect, or while
		// reconnecting, were not notified to this connection.
		if err := deliver(ctx, conn, after, fn); err != nil {
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

// deliver passes the changes after *after to fn, advancing *after.
func deliver(ctx context.Context, conn *pgx.Conn, after *int64, fn func(gatehouse.Change)) error {
	for {
		rows, err := conn.Query(ctx, `SELECT seq, user_id, key_id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2`, *after, changeBatch)
		if err != nil {
			return err
		}
		batch, err := pgx.CollectRows(rows, pgx.RowToStructByPos[gatehouse.Change])
		if err != nil {
			return err
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
