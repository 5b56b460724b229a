package blog_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/policy"
	"github.com/gatehouse-dev/gatehouse/postgres"
	"github.com/gatehouse-dev/gatehouse/sqlite"
	"github.com/jackc/pgx/v5"
)

// store is what the blog needs of a backend.
type store interface {
	gatehouse.UserStore
	blog.PostStore
}

// backends lists the stores every storage-facing test runs on.
var backends = []struct {
	name string
	open func(testing.TB) store
}{
	{"sqlite", func(tb testing.TB) store { return openSQLite(tb) }},
	{"postgres", func(tb testing.TB) store { return openPostgres(tb) }},
}

// openSQLite opens and migrates a new SQLite file in tb.TempDir().
func openSQLite(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "blog.db"), sqlite.Config{CreateIfMissing: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// openPostgres opens and migrates a store in a new schema that tb.Cleanup
// drops. Without GATEHOUSE_TEST_POSTGRES the test is skipped, or fails
// when CI=true, where a skip would hide the backend.
func openPostgres(tb testing.TB) *postgres.Store {
	tb.Helper()
	dsn := os.Getenv("GATEHOUSE_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("GATEHOUSE_TEST_POSTGRES is not set, and CI=true: the PostgreSQL tests must run in CI")
		}
		tb.Skip("GATEHOUSE_TEST_POSTGRES is not set: skipping the PostgreSQL tests (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	schema := "blog_test_" + strings.ToLower(rand.Text()[:12])
	tb.Cleanup(func() { dropSchema(tb, dsn, schema) })
	s, err := postgres.Open(tb.Context(), dsn, postgres.Config{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return s
}

func dropSchema(tb testing.TB, dsn, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		tb.Errorf("drop schema %s: %v", schema, err)
	}
}

// newService returns a Service over s with the embedded policy.
func newService(tb testing.TB, s blog.PostStore, cfg blog.Config) *blog.Service {
	tb.Helper()
	a, err := policy.New(policy.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Store, cfg.Authorizer = s, a
	svc, err := blog.NewService(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// mustUser creates a user with the role and returns it with a principal
// holding read and write, as the guard would make for a read-write key.
func mustUser(tb testing.TB, s gatehouse.UserStore, role gatehouse.Role) (*gatehouse.User, *gatehouse.Principal) {
	tb.Helper()
	u := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: "u-" + rand.Text()[:10], Kind: gatehouse.KindService, Role: role}
	if err := s.CreateUser(tb.Context(), u); err != nil {
		tb.Fatal(err)
	}
	return u, &gatehouse.Principal{UserID: u.ID, Role: role, Kind: u.Kind, Scopes: gatehouse.NewScopes(gatehouse.ScopeRead, gatehouse.ScopeWrite)}
}

// mustPost stores a post straight into the store.
func mustPost(tb testing.TB, s blog.PostStore, author int64, status blog.Status, title string) *blog.Post {
	tb.Helper()
	p := &blog.Post{AuthorID: author, Status: status, Title: title, Body: "Body of " + title}
	if err := s.CreatePost(tb.Context(), p); err != nil {
		tb.Fatal(err)
	}
	return p
}
