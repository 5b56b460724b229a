package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/sqlite"
	"github.com/gatehouse-dev/gatehouse/storetest"
)

func TestFeedGaps(t *testing.T) {
	storetest.RunFeedGaps(t, func(t *testing.T, now func() time.Time) gatehouse.Store {
		s, err := sqlite.Open(t.Context(), tempPath(t), sqlite.Config{CreateIfMissing: true, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestWatchFailsOnReadError: when the changes table cannot be read,
// WatchChanges returns the error instead of logging it and polling on, so
// that its caller stops trusting what it cached.
func TestWatchFailsOnReadError(t *testing.T) {
	path := tempPath(t)
	s := mustOpen(t, path)
	errc := make(chan error, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { errc <- s.WatchChanges(ctx, 0, func(gatehouse.Change) {}) }()

	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `ALTER TABLE changes RENAME TO changes_away`); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Fatalf("WatchChanges returned %v, want the read error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchChanges kept polling a feed it cannot read")
	}
}
