package guard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/lastuse"
)

// finalFlushTimeout bounds the flush when Run ends.
const finalFlushTimeout = 5 * time.Second

// newUsage returns the batch of key uses for TouchKeys. It holds at most
// one use per key that authenticated, so it is bounded by the number of
// real keys used in one interval.
func newUsage() *lastuse.Batch[gatehouse.KeyUse] {
	return lastuse.New(func(id string, at time.Time, addr string) gatehouse.KeyUse {
		return gatehouse.KeyUse{KeyID: id, At: at, Addr: addr}
	})
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
	if err := g.usage.Flush(ctx, g.store.TouchKeys); err != nil {
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
