package guard

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// finalFlushTimeout bounds the flush when Run ends.
const finalFlushTimeout = 5 * time.Second

// usage batches the latest use of each key for TouchKeys. It holds at most
// one use per key that authenticated, so it is bounded by the number of
// real keys used in one interval.
type usage struct {
	writeMu sync.Mutex // held while writing, so a Flush waits for a write under way

	mu sync.Mutex
	m  map[string]gatehouse.KeyUse
}

func (u *usage) init() { u.m = make(map[string]gatehouse.KeyUse) }

// record notes a use of key id at at from addr; an older use than the one
// pending is ignored.
func (u *usage) record(id string, at time.Time, addr string) {
	u.mu.Lock()
	if old, ok := u.m[id]; !ok || at.After(old.At) {
		u.m[id] = gatehouse.KeyUse{KeyID: id, At: at, Addr: addr}
	}
	u.mu.Unlock()
}

// last returns the pending use of id, or the zero time.
func (u *usage) last(id string) time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.m[id].At
}

// take removes and returns the pending uses.
func (u *usage) take() []gatehouse.KeyUse {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.m) == 0 {
		return nil
	}
	out := make([]gatehouse.KeyUse, 0, len(u.m))
	for _, use := range u.m {
		out = append(out, use)
	}
	clear(u.m)
	return out
}

// restore puts back uses that could not be written, unless newer ones
// arrived meanwhile.
func (u *usage) restore(uses []gatehouse.KeyUse) {
	for _, use := range uses {
		u.record(use.KeyID, use.At, use.Addr)
	}
}

// Flush writes the pending key uses and refused keys to the store; when it
// returns, those pending when it was called (and by Run's writes under
// way) are written. On error they stay pending for the next Flush
// (refusals as far as Config.AuditQueue allows).
func (g *Guard) Flush(ctx context.Context) error {
	return errors.Join(g.flushUses(ctx), g.flushRefusals(ctx))
}

// flushUses writes the pending key uses.
func (g *Guard) flushUses(ctx context.Context) error {
	g.usage.writeMu.Lock()
	defer g.usage.writeMu.Unlock()
	uses := g.usage.take()
	if len(uses) == 0 {
		return nil
	}
	if err := g.store.TouchKeys(ctx, uses); err != nil {
		g.usage.restore(uses)
		return fmt.Errorf("guard: record key uses: %w", err)
	}
	return nil
}

// flushLoop writes key uses every flushEvery until ctx ends, and then once
// more with a fresh context.
func (g *Guard) flushLoop(ctx context.Context) {
	t := time.NewTicker(g.flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := g.flushUses(ctx); err != nil {
				g.log.WarnContext(ctx, "guard: flush key uses", "err", err)
			}
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
			defer cancel()
			if err := g.flushUses(fctx); err != nil {
				g.log.ErrorContext(fctx, "guard: final flush of key uses", "err", err)
			}
			return
		}
	}
}
