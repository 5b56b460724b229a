// Package pgtest gives tests a PostgreSQL database of their own: the
// server named by GATEHOUSE_TEST_POSTGRES, in a fresh schema that is
// dropped when the test ends.
//
// Without GATEHOUSE_TEST_POSTGRES a test that asks for one is skipped with
// a message saying how to run it, except when CI=true: there a skip would
// hide a whole backend, so the test fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-dev/gatehouse/postgres"
)

// EnvVar names the variable that holds the test server's URL.
const EnvVar = "GATEHOUSE_TEST_POSTGRES"

// DSN returns the test server's URL, or skips (fails, in CI) without one.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvVar)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal(EnvVar + " is not set, and CI=true: the PostgreSQL tests must run in CI")
		}
		tb.Skip(EnvVar + " is not set: skipping the PostgreSQL tests (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return dsn
}

// Schema returns the name of a new, empty schema that tb.Cleanup drops.
// Call it before opening stores on it, so that they close first.
func Schema(tb testing.TB) string {
	tb.Helper()
	dsn := DSN(tb)
	name := "gh_test_" + strings.ToLower(rand.Text()[:12])
	if err := exec(dsn, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("pgtest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		if err := exec(dsn, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("pgtest: drop schema %s: %v", name, err)
		}
	})
	return name
}

// URL returns the test server's URL with a new schema as its search_path,
// for code that takes only a URL (the gatehouse command).
func URL(tb testing.TB) string {
	tb.Helper()
	u, err := url.Parse(DSN(tb))
	if err != nil {
		tb.Fatalf("pgtest: %s: %v", EnvVar, err)
	}
	q := u.Query()
	q.Set("search_path", Schema(tb))
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens a store in a new schema, applies the migrations, and closes
// it when the test ends.
func Open(tb testing.TB) *postgres.Store {
	tb.Helper()
	return OpenSchema(tb, Schema(tb))
}

// OpenSchema opens a store in an existing schema (for a second store on
// the same database), applies the migrations, and closes it when the test
// ends.
func OpenSchema(tb testing.TB, schema string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(tb.Context(), DSN(tb), postgres.Config{Schema: schema})
	if err != nil {
		tb.Fatalf("pgtest: open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(tb.Context()); err != nil {
		tb.Fatalf("pgtest: migrate: %v", err)
	}
	return s
}

func exec(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
