// Package sqlite implements every Gatehouse store on a single SQLite file,
// with the pure-Go driver modernc.org/sqlite.
//
// # Connections
//
// The database runs in WAL mode with foreign keys on and a busy timeout
// (five seconds unless Config says otherwise). A Store keeps one writer
// connection, whose transactions start with BEGIN IMMEDIATE so that two
// writers (in this process or another one sharing the file) queue on the
// lock instead of failing with SQLITE_BUSY, and a small pool of read-only
// connections that never wait for writers. A write that waits longer than
// the busy timeout fails with a CodeUnavailable error.
//
// A new database file is created readable by its owner only: it holds key
// hashes and the audit log.
//
// # Opening and migrating
//
// Open never creates tables: Migrate applies the embedded migrations. Open
// refuses a file that is not a SQLite database, without touching it, and a
// missing file unless Config.CreateIfMissing is set. Commands that only read
// (such as listing the audit log) leave CreateIfMissing off so that a typo in
// a path is an error rather than a new, empty database.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Config holds a Store's optional settings.
type Config struct {
	// CreateIfMissing lets Open create the database file. When false (the
	// default), a missing file is an error wrapping fs.ErrNotExist. The
	// parent directory must exist either way.
	CreateIfMissing bool
	// BusyTimeout is how long a statement waits for another connection's
	// lock before failing with a CodeUnavailable error; 0 means 5s.
	BusyTimeout time.Duration
	// Logger receives problems the Store recovers from. Nil discards them.
	Logger *slog.Logger
	// Now is the clock for times the Store sets itself (user and audit
	// times, change rows). Nil means time.Now.
	Now func() time.Time
}

// Store implements gatehouse.Store on a SQLite file. It is safe for
// concurrent use, and several Stores (in one or more processes) may share a
// file.
type Store struct {
	path string
	w    *sql.DB // one connection; transactions BEGIN IMMEDIATE
	r    *sql.DB // read-only connections
	now  func() time.Time
	log  *slog.Logger
	busy time.Duration

	done      chan struct{} // closed by Close; stops watchers
	closeOnce sync.Once

	keyQuery     atomic.Pointer[sql.Stmt] // Key's statement, prepared on first use
	sessionQuery atomic.Pointer[sql.Stmt] // SessionByHash's statement, prepared on first use

	mu   sync.Mutex
	wake chan struct{} // closed and replaced when this Store records a change
}

var _ gatehouse.Store = (*Store)(nil)

// defaultBusyTimeout is how long a connection waits for another's lock.
const defaultBusyTimeout = 5 * time.Second

// Open opens the SQLite database at path. It does not create tables; see
// Migrate. A file that is not a SQLite database gives an error wrapping
// ErrNotDatabase, and the file is left exactly as it was.
func Open(ctx context.Context, path string, cfg Config) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	if err := checkFile(abs, cfg.CreateIfMissing); err != nil {
		return nil, err
	}
	s := &Store{path: abs, now: cfg.Now, log: cfg.Logger, busy: cfg.BusyTimeout, done: make(chan struct{}), wake: make(chan struct{})}
	if s.busy <= 0 {
		s.busy = defaultBusyTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.openPools(ctx, cfg.CreateIfMissing); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openPools opens the writer first: it is the connection that switches a
// new file to WAL mode.
func (s *Store) openPools(ctx context.Context, create bool) error {
	mode := "rw"
	if create {
		mode = "rwc"
	}
	var err error
	if s.w, err = s.openPool(ctx, mode, "_txlock=immediate&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)", 1); err != nil {
		return err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r, err = s.openPool(ctx, "rw", "_pragma=query_only(1)", n)
	return err
}

// openPool opens a pool of at most n connections and checks that the file
// is a database.
func (s *Store) openPool(ctx context.Context, mode, params string, n int) (*sql.DB, error) {
	q := fmt.Sprintf("mode=%s&_pragma=busy_timeout(%d)&%s", mode, s.busy.Milliseconds(), params)
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: filepath.ToSlash(s.path), RawQuery: q}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if err := s.probe(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// probe reads the schema so that a damaged file fails now, not later.
func (s *Store) probe(ctx context.Context, db *sql.DB) error {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n)
	if err == nil {
		return nil
	}
	if isNotDB(err) {
		return fmt.Errorf("sqlite: %s is not a Gatehouse database: %w", s.path, ErrNotDatabase)
	}
	return fmt.Errorf("sqlite: open %s: %w", s.path, classify(err))
}

// Ping checks that the database file can be read.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: ping: %w", classify(err))
	}
	return nil
}

// Close stops running watchers and closes the database. It is safe to call
// more than once.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		for _, p := range []*atomic.Pointer[sql.Stmt]{&s.keyQuery, &s.sessionQuery} {
			if st := p.Load(); st != nil {
				err = errors.Join(err, st.Close())
			}
		}
		for _, db := range []*sql.DB{s.r, s.w} {
			if db != nil {
				err = errors.Join(err, db.Close())
			}
		}
	})
	return err
}

// tx runs fn in a write transaction and commits it when fn succeeds.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return classify(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return classify(tx.Commit())
}
