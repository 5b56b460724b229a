package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// ClockOpener returns a new, migrated, empty store whose clock (for the
// times it sets itself, change rows included) is now; t.Cleanup closes it.
type ClockOpener func(t *testing.T, now func() time.Time) gatehouse.Store

// RunFeedGaps checks that a watcher is told when changes it has not read
// are gone: pruned while it was an hour behind, or lost because the store
// went back. It must then get a Change with All set before anything else,
// since it cannot know which keys the lost changes concerned.
func RunFeedGaps(t *testing.T, open ClockOpener) {
	t.Run("PrunedBeforeRead", func(t *testing.T) { testPrunedBeforeRead(t, open) })
	t.Run("StoreWentBack", func(t *testing.T) { testStoreWentBack(t, open) })
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// expectAll checks that the next change says that everything must go,
// with a Seq below the changes that follow, and returns that Seq.
func (w *watcher) expectAll(t *testing.T) int64 {
	t.Helper()
	c := w.next(t)
	if !c.All || c.UserID != 0 || c.KeyID != "" {
		t.Fatalf("got change %+v, want one with All set", c)
	}
	return c.Seq
}

func testPrunedBeforeRead(t *testing.T, open ClockOpener) {
	c := &testClock{t: now()}
	s := open(t, c.now)
	mutations(t, s)
	read, err := s.LastChange(t.Context()) // as far as a watcher had read
	noErr(t, "LastChange", err)
	mutations(t, s) // not read yet, and about to be pruned
	c.add(2 * time.Hour)
	recent := mutations(t, s) // these prune the older ones

	// A watcher at 0, or one that had read only the first changes, missed
	// some: it is told so, then gets what is left, in order.
	for _, after := range []int64{0, read} {
		w := watch(t, s, after)
		seq := w.expectAll(t)
		if seq < after {
			t.Fatalf("watcher at %d: the change with All set has Seq %d", after, seq)
		}
		w.expect(t, seq, recent...)
	}
	// One that had read every change before the recent ones misses
	// nothing.
	before, err := s.LastChange(t.Context())
	noErr(t, "LastChange", err)
	before -= int64(len(recent))
	watch(t, s, before).expect(t, before, recent...)
}

func testStoreWentBack(t *testing.T, open ClockOpener) {
	c := &testClock{t: now()}
	s := open(t, c.now)
	mutations(t, s)
	last, err := s.LastChange(t.Context())
	noErr(t, "LastChange", err)
	// A watcher beyond the newest change (it read a feed that the store
	// no longer has, such as before a restore) is told, then gets the
	// store's next changes.
	w := watch(t, s, last+100)
	seq := w.expectAll(t)
	if seq > last {
		t.Fatalf("the change with All set has Seq %d; the next change will have %d", seq, last+1)
	}
	w.expect(t, seq, mutations(t, s)...)
}
