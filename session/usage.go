package session

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/lastuse"
)

// finalFlushTimeout bounds the flush when Run ends.
const finalFlushTimeout = 5 * time.Second

// newUsage returns the batch of session uses for TouchSessions. It holds
// at most one entry per session that authenticated in one interval.
func newUsage() *lastuse.Batch[gatehouse.SessionUse] {
	return lastuse.New(func(id string, at time.Time, addr string) gatehouse.SessionUse {
		return gatehouse.SessionUse{SessionID: id, At: at, Addr: addr}
	})
}

// Flush writes the pending session uses to the store. On error they stay
// pending for the next Flush.
func (m *Manager) Flush(ctx context.Context) error {
	if err := m.usage.Flush(ctx, m.store.TouchSessions); err != nil {
		return fmt.Errorf("session: record session uses: %w", err)
	}
	return nil
}

// Run writes batched session uses every FlushInterval until ctx ends, then
// writes those still pending (with a fresh context of a few seconds) and
// returns ctx.Err(). Sessions are not cached, so there is nothing else to
// keep current.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := m.Flush(ctx); err != nil {
				m.log.WarnContext(ctx, "session: flush session uses", "err", err)
			}
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
			defer cancel()
			if err := m.Flush(fctx); err != nil {
				m.log.ErrorContext(fctx, "session: final flush of session uses", "err", err)
			}
			return ctx.Err()
		}
	}
}
