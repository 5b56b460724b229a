package guard_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// feedDelay is the store's promise: a change reaches every watcher within
// a second.
const feedDelay = time.Second

func TestRoleDemotionNarrowsScopes(t *testing.T) {
	tests := []struct {
		name       string
		invalidate bool // call InvalidateUser, as the key code of the same instance does
		within     time.Duration
	}{
		{"InvalidateUser applies at once", true, 0},
		{"change feed applies within a second", false, feedDelay},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.run()
			u := e.user(gatehouse.RoleAuthor)
			key := e.key(u, nil, gatehouse.ScopeRead, gatehouse.ScopeWrite)
			write := e.handler(gatehouse.ScopeWrite)
			e.warm(write, key)
			u.Role = gatehouse.RoleReader
			if err := e.store.UpdateUser(context.Background(), u); err != nil {
				t.Fatal(err)
			}
			forbidden := func() bool { return send(write, "192.0.2.1", "/", "Bearer "+key).Code == http.StatusForbidden }
			if tt.invalidate {
				e.g.InvalidateUser(u.ID)
				if !forbidden() {
					t.Fatal("write still allowed right after InvalidateUser")
				}
			} else {
				eventually(t, tt.within, "demotion through the change feed", forbidden)
			}
			if w := send(e.handler(gatehouse.ScopeRead), "192.0.2.1", "/", "Bearer "+key); w.Code != 200 || w.Body.String() != "user=1 key="+key[10:26]+" method=apikey scopes=read" {
				t.Fatalf("after demotion: %d %s", w.Code, w.Body)
			}
		})
	}
}

// TestRevocationThroughCachesFromAnotherProcess: a key revoked through another Store on
// the same file (as the CLI does from its own process) stops working
// within the feed's delay, though the guard had it cached.
func TestRevocationThroughCachesFromAnotherProcess(t *testing.T) {
	e := newEnv(t, nil)
	e.run()
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	e.warm(h, key)
	cli := openStore(t, e.path)
	if err := cli.RevokeKey(context.Background(), key[10:26], t0); err != nil {
		t.Fatal(err)
	}
	eventually(t, feedDelay, "revocation from another store", func() bool {
		return send(h, "192.0.2.1", "/", "Bearer "+key).Code == http.StatusUnauthorized
	})
}

func TestDisablingOwnerFromAnotherProcess(t *testing.T) {
	e := newEnv(t, nil)
	e.run()
	u := e.user(gatehouse.RoleAuthor)
	key := e.key(u, nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	e.warm(h, key)
	u.Disabled = true
	if err := openStore(t, e.path).UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	eventually(t, feedDelay, "disabled owner", func() bool {
		return send(h, "192.0.2.1", "/", "Bearer "+key).Code == http.StatusUnauthorized
	})
}

func TestCacheBound(t *testing.T) {
	const size = 5
	e := newEnv(t, func(c *guard.Config) { c.CacheSize = size })
	e.run()
	u := e.user(gatehouse.RoleAuthor)
	h := e.handler(gatehouse.ScopeRead)
	first := e.key(u, nil, gatehouse.ScopeRead)
	e.warm(h, first)
	for i := range 4 * size {
		key := e.key(u, nil, gatehouse.ScopeRead)
		if w := send(h, "192.0.2.1", "/", "Bearer "+key); w.Code != 200 {
			t.Fatalf("key %d: %d", i, w.Code)
		}
		if n := e.g.CacheLen(); n > size || n == 0 {
			t.Fatalf("after %d keys the cache holds %d, bound %d", i+2, n, size)
		}
	}
	if w := send(h, "192.0.2.1", "/", "Bearer "+first); w.Code != 200 {
		t.Fatalf("evicted key: %d", w.Code)
	}
}

func TestCacheOffWithoutRun(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	if w := send(e.handler(gatehouse.ScopeRead), "192.0.2.1", "/", "Bearer "+key); w.Code != 200 {
		t.Fatal(w.Code)
	}
	if n := e.g.CacheLen(); n != 0 {
		t.Fatalf("cache holds %d entries without a change feed watcher", n)
	}
}

// TestNoStaleEntryAfterInvalidate races Verify against revocation: once
// InvalidateKey has returned, no Verify that starts later may succeed,
// even if a load that read the key before the revocation finishes after.
func TestNoStaleEntryAfterInvalidate(t *testing.T) {
	e := newEnv(t, nil)
	e.run()
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	e.warm(e.handler(""), key)
	var revoked atomic.Bool
	var wg sync.WaitGroup
	var accepted atomic.Int64
	racing := make(chan struct{}) // closed once loads are under way
	var once sync.Once
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				e.g.InvalidateKey(key[10:26]) // force loads that race the revocation
				after := revoked.Load()
				_, err := e.g.Verify(context.Background(), key, "192.0.2.1")
				if after && err == nil {
					t.Error("revoked key accepted after InvalidateKey returned")
					return
				}
				if err == nil && accepted.Add(1) == 20 {
					once.Do(func() { close(racing) })
				}
			}
		})
	}
	<-racing
	if err := e.store.RevokeKey(context.Background(), key[10:26], t0); err != nil {
		t.Fatal(err)
	}
	e.g.InvalidateKey(key[10:26])
	revoked.Store(true)
	for range 200 {
		if _, err := e.g.Verify(context.Background(), key, "192.0.2.1"); err == nil {
			t.Fatal("revoked key accepted")
		}
	}
	close(stop)
	wg.Wait()
}

// pausingStore is the real SQLite store with a hook that holds one Key
// call after it has read the key, to order a load against a revocation.
type pausingStore struct {
	*sqlite.Store
	mu     sync.Mutex
	read   chan struct{} // closed when the held Key call has read the key
	resume chan struct{} // closed to let it return
}

func (s *pausingStore) Key(ctx context.Context, id string) (*gatehouse.APIKey, error) {
	k, err := s.Store.Key(ctx, id)
	s.mu.Lock()
	read, resume := s.read, s.resume
	s.read = nil
	s.mu.Unlock()
	if read != nil {
		close(read)
		<-resume
	}
	return k, err
}

// TestLoadRacingRevocationIsNotCached: a load that read the key before it
// was revoked and finishes after InvalidateKey must not put the stale
// entry in the cache.
func TestLoadRacingRevocationIsNotCached(t *testing.T) {
	ps := &pausingStore{}
	e := newEnv(t, func(c *guard.Config) { ps.Store = c.Store.(*sqlite.Store); c.Store = ps })
	e.run()
	u := e.user(gatehouse.RoleAuthor)
	e.warm(e.handler(""), e.key(u, nil)) // the cache is on
	key := e.key(u, nil)
	ps.mu.Lock()
	ps.read, ps.resume = make(chan struct{}), make(chan struct{})
	read, resume := ps.read, ps.resume
	ps.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := e.g.Verify(context.Background(), key, "192.0.2.1")
		done <- err
	}()
	<-read
	if err := e.store.RevokeKey(context.Background(), key[10:26], t0); err != nil {
		t.Fatal(err)
	}
	e.g.InvalidateKey(key[10:26])
	close(resume)
	if err := <-done; err != nil {
		t.Fatalf("the Verify that started before the revocation: %v", err)
	}
	if _, err := e.g.Verify(context.Background(), key, "192.0.2.1"); err == nil {
		t.Fatal("revoked key accepted from a stale cache entry")
	}
}
