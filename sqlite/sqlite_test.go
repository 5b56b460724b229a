package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/sqlite"
	"github.com/gatehouse-dev/gatehouse/storetest"
)

// mustOpen opens (creating) and migrates the database at path; t.Cleanup
// closes it.
func mustOpen(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), path, sqlite.Config{CreateIfMissing: true})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	if _, err := s.Migrate(tb.Context()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

// tempPath returns a database path in a new temporary directory.
func tempPath(tb testing.TB) string {
	return filepath.Join(tb.TempDir(), "gatehouse.db")
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) gatehouse.Store { return mustOpen(t, tempPath(t)) })
}

func TestSharedFile(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (gatehouse.Store, gatehouse.Store) {
		path := tempPath(t)
		return mustOpen(t, path), mustOpen(t, path)
	})
}
