package guard_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/postgres"
	"github.com/jackc/pgx/v5"
)

// postgresDSN returns GATEHOUSE_TEST_POSTGRES, skipping without it (and
// failing in CI, where a skip would hide the backend).
func postgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("GATEHOUSE_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("GATEHOUSE_TEST_POSTGRES is not set, and CI=true: the PostgreSQL tests must run in CI")
		}
		tb.Skip("GATEHOUSE_TEST_POSTGRES is not set: skipping the PostgreSQL tests (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return dsn
}

// postgresSchema returns a new schema name that tb.Cleanup drops.
func postgresSchema(tb testing.TB) string {
	tb.Helper()
	dsn := postgresDSN(tb)
	name := "guard_test_" + strings.ToLower(rand.Text()[:12])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
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

// openPostgres opens and migrates a store on schema; tb.Cleanup closes it.
func openPostgres(tb testing.TB, schema string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), postgresDSN(tb), postgres.Config{Schema: schema})
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

// TestRevocationFromAnotherInstancePostgres: a revocation through another
// Store on the same database reaches the guard within the feed's delay.
func TestRevocationFromAnotherInstancePostgres(t *testing.T) {
	schema := postgresSchema(t)
	e := newEnvOn(t, openPostgres(t, schema), "", nil)
	e.run()
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	e.warm(h, key)
	other := openPostgres(t, schema)
	if err := other.RevokeKey(context.Background(), key[10:26], t0); err != nil {
		t.Fatal(err)
	}
	eventually(t, feedDelay, "revocation from another instance", func() bool {
		return send(h, "192.0.2.1", "/", "Bearer "+key).Code == http.StatusUnauthorized
	})
}
