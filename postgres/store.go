// Package postgres implements every Gatehouse store on PostgreSQL, with
// pgx and its connection pool.
//
// # Schemas
//
// By default the store uses the tables the connection's search_path finds
// (normally the public schema). Config.Schema puts them in a schema of
// their own instead: every pooled connection gets it as its search_path,
// and Migrate creates it.
//
// # Change feed
//
// Every mutation that may make cached authentication state stale inserts a
// row into the changes table and calls pg_notify in the same transaction.
// WatchChanges listens on a dedicated connection and reads the table when
// notified, and every 500ms in any case, so that a lost notification delays
// a change by at most that long. A dropped connection or a failed read ends
// WatchChanges with the error, so that a cache built on the feed can turn
// itself off until the feed is back.
package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Config holds a Store's optional settings.
type Config struct {
	// Schema, when not empty, is the schema that holds Gatehouse's tables;
	// Migrate creates it. Empty means the DSN's search_path decides.
	Schema string
	// MaxConns bounds the pool; 0 keeps the DSN's pool_max_conns or
	// pgxpool's default (the larger of 4 and the number of CPUs).
	MaxConns int32
	// Logger receives problems the Store recovers from. Nil discards them.
	Logger *slog.Logger
	// Now is the clock for times the Store sets itself. Nil means time.Now.
	Now func() time.Time
}

// Store implements gatehouse.Store on PostgreSQL. It is safe for concurrent
// use, and any number of Stores may share a database.
type Store struct {
	pool   *pgxpool.Pool
	schema string
	now    func() time.Time
	log    *slog.Logger

	done      chan struct{} // closed by Close; stops watchers
	closeOnce sync.Once
}

var _ gatehouse.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string) and checks that it answers. It does not create tables; see
// Migrate. An unreachable database is a CodeUnavailable error.
func Open(ctx context.Context, dsn string, cfg Config) (*Store, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The DSN may hold a password: do not repeat it.
		return nil, fmt.Errorf("postgres: parse dsn: %w", gatehouse.Errorf(gatehouse.CodeInvalid, "the PostgreSQL connection string is malformed"))
	}
	if cfg.Schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize()
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", classify(err))
	}
	s := &Store{pool: pool, schema: cfg.Schema, now: cfg.Now, log: cfg.Logger, done: make(chan struct{})}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", classify(err))
	}
	return nil
}

// Close stops running watchers and closes the pool. It is safe to call more
// than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.pool.Close()
	})
	return nil
}

// tx runs fn in a transaction and commits it when fn succeeds.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	return classify(tx.Commit(ctx))
}

// stamp is t in the precision the database keeps (microseconds, UTC), so
// that what a method sets on its argument equals what a later read returns.
func stamp(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}
