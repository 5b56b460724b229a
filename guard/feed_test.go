package guard_test

import (
	"context"
	"database/sql"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// rawDB opens the SQLite file at path outside any Store, to do what the
// Store's API never does: break the change feed, or change a key without
// recording a change. t.Cleanup closes it.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// revokeUnannounced revokes the key whose text is key without recording a
// change: a change the feed can never report.
func revokeUnannounced(t *testing.T, db *sql.DB, key string) {
	t.Helper()
	mustExec(t, db, `UPDATE api_keys SET revoked = ? WHERE id = ?`, t0.UnixMilli(), key[10:26])
}

// TestBrokenChangeFeedFailsClosed: when the change feed cannot be read,
// the guard turns its cache off and reads the store for every request, so
// that a change the feed could not report applies at once; when the feed
// can be read again, the cache comes back.
func TestBrokenChangeFeedFailsClosed(t *testing.T) {
	e := newEnv(t, func(c *guard.Config) { c.CacheMaxAge = time.Hour })
	e.run()
	u := e.user(gatehouse.RoleAuthor)
	key := e.key(u, nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	e.warm(h, key)

	db := rawDB(t, e.path)
	mustExec(t, db, `ALTER TABLE changes RENAME TO changes_away`)
	eventually(t, 5*time.Second, "cache off once the feed fails", func() bool { return e.g.CacheLen() == 0 })
	revokeUnannounced(t, db, key)
	if w := send(h, "192.0.2.1", "/", "Bearer "+key); w.Code != http.StatusUnauthorized {
		t.Fatalf("key revoked while the feed is broken: %d, want 401", w.Code)
	}
	if n := e.g.CacheLen(); n != 0 {
		t.Fatalf("the cache holds %d entries while the feed is broken", n)
	}

	mustExec(t, db, `ALTER TABLE changes_away RENAME TO changes`)
	e.warm(h, e.key(u, nil, gatehouse.ScopeRead))
}

// TestCacheMaxAge: an entry is never served older than CacheMaxAge, so a
// change that the feed fails to report (without failing) is picked up
// after that long at most.
func TestCacheMaxAge(t *testing.T) {
	tests := []struct {
		name   string
		maxAge time.Duration // Config.CacheMaxAge
		age    time.Duration // the age at which the change must apply
	}{
		{"default", 0, guard.DefaultCacheMaxAge},
		{"configured", 5 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *guard.Config) { c.CacheMaxAge = tt.maxAge })
			e.run()
			key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
			h := e.handler(gatehouse.ScopeRead)
			e.warm(h, key)
			revokeUnannounced(t, rawDB(t, e.path), key)
			e.clock.Add(tt.age - time.Millisecond)
			if w := send(h, "192.0.2.1", "/", "Bearer "+key); w.Code != http.StatusOK {
				t.Fatalf("just under the maximum age: %d, want the cached 200", w.Code)
			}
			e.clock.Add(time.Millisecond)
			if w := send(h, "192.0.2.1", "/", "Bearer "+key); w.Code != http.StatusUnauthorized {
				t.Fatalf("revoked key served from a cache entry %v old: %d", tt.age, w.Code)
			}
		})
	}
}

// holdingFeed is the real SQLite store whose change feed stops, inside
// the callback, at the first change of key hold until release is closed:
// a watcher that falls behind (a process suspended), deterministically.
type holdingFeed struct {
	*sqlite.Store
	hold    string
	held    chan struct{} // closed when the feed stops
	release chan struct{}
	once    sync.Once
}

func (s *holdingFeed) WatchChanges(ctx context.Context, after int64, fn func(gatehouse.Change)) error {
	return s.Store.WatchChanges(ctx, after, func(c gatehouse.Change) {
		if c.KeyID == s.hold {
			s.once.Do(func() { close(s.held); <-s.release })
		}
		fn(c)
	})
}

// TestPrunedChangesEmptyTheCache: changes pruned before the guard's
// watcher read them (it fell an hour behind) must not go unnoticed: the
// watcher cannot tell which keys they concerned, so the whole cache goes.
func TestPrunedChangesEmptyTheCache(t *testing.T) {
	feed := &holdingFeed{held: make(chan struct{}), release: make(chan struct{})}
	e := newEnv(t, func(c *guard.Config) {
		feed.Store = c.Store.(*sqlite.Store)
		c.Store, c.CacheMaxAge = feed, time.Hour
	})
	u := e.user(gatehouse.RoleAuthor)
	key, stop, last := e.key(u, nil, gatehouse.ScopeRead), e.key(u, nil), e.key(u, nil)
	feed.hold = stop[10:26]
	e.run()
	h := e.handler(gatehouse.ScopeRead)
	e.warm(h, key)

	// Another process, whose clock runs on, makes changes while the
	// watcher is held: the revocation is pruned before it is read.
	c := &clock{t: time.Now()}
	other, err := sqlite.Open(context.Background(), e.path, sqlite.Config{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.RevokeKey(context.Background(), stop[10:26], t0); err != nil {
		t.Fatal(err)
	}
	<-feed.held
	if err := other.RevokeKey(context.Background(), key[10:26], t0); err != nil {
		t.Fatal(err)
	}
	c.Add(2 * time.Hour)
	if err := other.RevokeKey(context.Background(), last[10:26], t0); err != nil {
		t.Fatal(err)
	}
	close(feed.release)
	eventually(t, 5*time.Second, "revocation whose change was pruned", func() bool {
		return send(h, "192.0.2.1", "/", "Bearer "+key).Code == http.StatusUnauthorized
	})
}
