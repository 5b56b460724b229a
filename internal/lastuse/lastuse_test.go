package lastuse_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/lastuse"
)

type use struct {
	id   string
	at   time.Time
	addr string
}

func newBatch() *lastuse.Batch[use] {
	return lastuse.New(func(id string, at time.Time, addr string) use { return use{id, at, addr} })
}

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestLatestUseWins(t *testing.T) {
	b := newBatch()
	b.Record("k", t0.Add(2*time.Second), "10.0.0.2")
	b.Record("k", t0, "10.0.0.1") // older: ignored
	if got := b.Last("k"); !got.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("Last = %v", got)
	}
	var written []use
	if err := b.Flush(t.Context(), func(_ context.Context, u []use) error { written = u; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(written) != 1 || written[0].addr != "10.0.0.2" {
		t.Errorf("written %v", written)
	}
	if !b.Last("k").IsZero() {
		t.Error("a written use is still pending")
	}
	called := false
	b.Flush(t.Context(), func(context.Context, []use) error { called = true; return nil })
	if called {
		t.Error("an empty batch was written")
	}
}

// TestFailedWriteKeepsUses: uses a failed write could not store stay
// pending, and a newer use recorded meanwhile wins over them.
func TestFailedWriteKeepsUses(t *testing.T) {
	b := newBatch()
	b.Record("a", t0, "1")
	b.Record("b", t0, "1")
	err := b.Flush(t.Context(), func(_ context.Context, u []use) error {
		b.Record("b", t0.Add(time.Minute), "2") // arrives during the write
		return errors.New("store down")
	})
	if err == nil {
		t.Fatal("the write's error was dropped")
	}
	var written []use
	b.Flush(t.Context(), func(_ context.Context, u []use) error { written = u; return nil })
	slices.SortFunc(written, func(x, y use) int { return strings.Compare(x.id, y.id) })
	if len(written) != 2 || !written[0].at.Equal(t0) || written[1].addr != "2" {
		t.Errorf("after a failed write: %v", written)
	}
}
