package guard_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// callStore is a real store that counts the guard's calls: its reads
// of keys and users, and every write it can make.
type callStore struct {
	*sqlite.Store
	keyReads, userReads, touches, audits atomic.Int64
}

func (s *callStore) Key(ctx context.Context, id string) (*gatehouse.APIKey, error) {
	s.keyReads.Add(1)
	return s.Store.Key(ctx, id)
}

func (s *callStore) User(ctx context.Context, id int64) (*gatehouse.User, error) {
	s.userReads.Add(1)
	return s.Store.User(ctx, id)
}

func (s *callStore) TouchKeys(ctx context.Context, uses []gatehouse.KeyUse) error {
	s.touches.Add(1)
	return s.Store.TouchKeys(ctx, uses)
}

func (s *callStore) AppendAudit(ctx context.Context, e *gatehouse.AuditEvent) error {
	s.audits.Add(1)
	return s.Store.AppendAudit(ctx, e)
}

func (s *callStore) writes() int64 { return s.touches.Load() + s.audits.Load() }

// TestHotPathDoesNoStoreWrite: with the guard running as a server runs it,
// verifying a cached key many times, from several addresses, writes
// nothing to the store and reads nothing from it; the uses reach the store
// in one batched write when the guard flushes.
func TestHotPathDoesNoStoreWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	st := &callStore{Store: openStore(t, path)}
	e := newEnvOn(t, st, path, func(c *guard.Config) { c.FlushInterval = time.Hour })
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	e.run()
	ctx := context.Background()
	// Until the change feed is read the cache is off: wait for a Verify
	// that reads nothing.
	eventually(t, 5*time.Second, "the key is served from the cache", func() bool {
		before := st.keyReads.Load()
		if _, err := e.g.Verify(ctx, key, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		return st.keyReads.Load() == before
	})
	if err := e.g.Flush(ctx); err != nil { // the warm-up's uses
		t.Fatal(err)
	}
	writes, reads := st.writes(), st.keyReads.Load()+st.userReads.Load()

	// n uses 10ms apart stay within DefaultCacheMaxAge, after which a
	// cached key is read again by design.
	const n = 1000
	for i := range n {
		e.clock.Add(10 * time.Millisecond)
		if _, err := e.g.Verify(ctx, key, fmt.Sprintf("192.0.2.%d", 1+i%9)); err != nil {
			t.Fatalf("Verify %d: %v", i, err)
		}
	}
	if got := st.writes() - writes; got != 0 {
		t.Errorf("%d store writes over %d cached Verify calls, want 0", got, n)
	}
	if got := st.keyReads.Load() + st.userReads.Load() - reads; got != 0 {
		t.Errorf("%d store reads over %d cached Verify calls, want 0", got, n)
	}

	touches := st.touches.Load()
	if err := e.g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := st.touches.Load() - touches; got != 1 {
		t.Errorf("Flush made %d TouchKeys calls for %d uses of one key, want 1", got, n)
	}
	k, err := st.Store.Key(ctx, key[10:26])
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now(); !k.LastUsed.Equal(want) {
		t.Errorf("last used %v after the flush, want %v", k.LastUsed, want)
	}
}
