package postgres_test

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/postgres"
	"github.com/gatehouse-dev/gatehouse/storetest"
	"github.com/jackc/pgx/v5"
)

// dsn returns the test database's DSN, skipping the test when it is not
// configured (and failing it in CI, where a skip would hide the backend).
func dsn(tb testing.TB) string {
	tb.Helper()
	d := os.Getenv("GATEHOUSE_TEST_POSTGRES")
	if d == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("GATEHOUSE_TEST_POSTGRES not set, and CI=true: the PostgreSQL tests must run in CI")
		}
		tb.Skip("GATEHOUSE_TEST_POSTGRES not set: skipping the PostgreSQL tests (set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return d
}

// newSchema returns the name of a new schema that t.Cleanup drops.
func newSchema(tb testing.TB) string {
	tb.Helper()
	name := "gh_test_" + strings.ToLower(rand.Text()[:12])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn(tb))
		if err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// open opens a store on schema; t.Cleanup closes it (before the schema is
// dropped, since cleanups run last first).
func open(tb testing.TB, schema string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), dsn(tb), postgres.Config{Schema: schema})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// mustOpen opens and migrates a store on a new schema.
func mustOpen(tb testing.TB) *postgres.Store {
	tb.Helper()
	return migrated(tb, newSchema(tb))
}

// migrated opens and migrates a store on schema.
func migrated(tb testing.TB, schema string) *postgres.Store {
	tb.Helper()
	s := open(tb, schema)
	if _, err := s.Migrate(tb.Context()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	dsn(t)
	storetest.Run(t, func(t *testing.T) gatehouse.Store { return mustOpen(t) })
}

func TestSharedSchema(t *testing.T) {
	dsn(t)
	storetest.RunShared(t, func(t *testing.T) (gatehouse.Store, gatehouse.Store) {
		schema := newSchema(t)
		return migrated(t, schema), open(t, schema)
	})
}
