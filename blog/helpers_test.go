package blog_test

import (
	"crypto/rand"
	"path/filepath"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
	"github.com/gatehouse-dev/gatehouse/policy"
	"github.com/gatehouse-dev/gatehouse/sqlite"
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
	{"postgres", func(tb testing.TB) store { return pgtest.Open(tb) }},
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
