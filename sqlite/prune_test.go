package sqlite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// clock is a settable Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestChangesArePruned: change rows older than an hour are deleted by later
// changes, so the table does not grow forever, but the newest row stays and
// LastChange never goes back.
func TestChangesArePruned(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s, err := sqlite.Open(t.Context(), tempPath(t), sqlite.Config{CreateIfMissing: true, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	u := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: "svc", Kind: gatehouse.KindService, Role: gatehouse.RoleReader}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	update := func() int64 {
		t.Helper()
		if err := s.UpdateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		seq, err := s.LastChange(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return seq
	}
	update()
	update()
	c.Add(2 * time.Hour)
	last := update() // prunes the two old rows
	if got := remaining(t, s); len(got) != 1 || got[0].Seq != last {
		t.Errorf("after pruning, the feed holds %+v, want only seq %d", got, last)
	}
	c.Add(2 * time.Hour)
	if next := update(); next <= last {
		t.Errorf("seq went from %d to %d after pruning", last, next)
	}
}

// remaining returns every change the store still holds.
func remaining(t *testing.T, s *sqlite.Store) []gatehouse.Change {
	t.Helper()
	last, err := s.LastChange(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []gatehouse.Change
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s.WatchChanges(ctx, 0, func(c gatehouse.Change) {
		if c.All { // a watcher at 0 missed the pruned rows; see TestFeedGaps
			return
		}
		out = append(out, c)
		if c.Seq == last {
			cancel()
		}
	})
	return out
}
