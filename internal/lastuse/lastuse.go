// Package lastuse batches the latest use of each credential (an API key, a
// session), so that authenticating a request never writes to the store:
// uses are recorded in memory and written in batches.
package lastuse

import (
	"context"
	"maps"
	"sync"
	"time"
)

type use struct {
	at   time.Time
	addr string
}

// Batch holds at most one pending use per credential id: the latest. U is
// the store's type for one use, made by the function given to New.
type Batch[U any] struct {
	make func(id string, at time.Time, addr string) U

	writeMu sync.Mutex // held while writing, so that a Flush waits for a write under way

	mu sync.Mutex
	m  map[string]use
}

// New returns an empty Batch whose uses are written as mk makes them.
func New[U any](mk func(id string, at time.Time, addr string) U) *Batch[U] {
	return &Batch[U]{make: mk, m: make(map[string]use)}
}

// Record notes a use of id at at from addr; a use older than the pending
// one is ignored.
func (b *Batch[U]) Record(id string, at time.Time, addr string) {
	b.mu.Lock()
	if old, ok := b.m[id]; !ok || at.After(old.at) {
		b.m[id] = use{at, addr}
	}
	b.mu.Unlock()
}

// Last returns the time of id's pending use, or the zero time.
func (b *Batch[U]) Last(id string) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[id].at
}

// Flush writes the pending uses with write. When it returns, the uses
// pending when it was called, and those of a write under way, have been
// written; on error they stay pending (unless newer ones arrived), and the
// error is returned.
func (b *Batch[U]) Flush(ctx context.Context, write func(context.Context, []U) error) error {
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	b.mu.Lock()
	taken := b.m
	b.m = make(map[string]use, len(taken))
	b.mu.Unlock()
	if len(taken) == 0 {
		return nil
	}
	out := make([]U, 0, len(taken))
	for id, u := range taken {
		out = append(out, b.make(id, u.at, u.addr))
	}
	if err := write(ctx, out); err != nil {
		b.restore(taken)
		return err
	}
	return nil
}

// restore puts back uses that could not be written, unless newer ones
// arrived meanwhile.
func (b *Batch[U]) restore(taken map[string]use) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id, u := range b.m {
		if old, ok := taken[id]; !ok || u.at.After(old.at) {
			taken[id] = u
		}
	}
	b.m = maps.Clone(taken)
}
