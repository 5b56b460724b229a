package session

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// finalFlushTimeout bounds the flush when Run ends.
const finalFlushTimeout = 5 * time.Second

// usage batches the latest use of each session for TouchSessions. It holds
// at most one entry per session that authenticated in one interval.
type usage struct {
	mu sync.Mutex
	m  map[string]gatehouse.SessionUse
}

func (u *usage) init() { u.m = make(map[string]gatehouse.SessionUse) }

// record notes a use of session id; an older use than the pending one is
// ignored.
func (u *usage) record(id string, at time.Time, addr string) {
	u.mu.Lock()
	if old, ok := u.m[id]; !ok || at.After(old.At) {
		u.m[id] = gatehouse.SessionUse{SessionID: id, At: at, Addr: addr}
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
func (u *usage) take() []gatehouse.SessionUse {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.m) == 0 {
		return nil
	}
	out := make([]gatehouse.SessionUse, 0, len(u.m))
	for _, use := range u.m {
		out = append(out, use)
	}
	clear(u.m)
	return out
}

// restore puts back uses that could not be written, unless newer ones
// arrived meanwhile.
func (u *usage) restore(uses []gatehouse.SessionUse) {
	for _, use := range uses {
		u.record(use.SessionID, use.At, use.Addr)
	}
}

// Flush writes the pending session uses to the store. On error they stay
// pending for the next Flush.
func (m *Manager) Flush(ctx context.Context) error {
	uses := m.usage.take()
	if len(uses) == 0 {
		return nil
	}
	if err := m.store.TouchSessions(ctx, uses); err != nil {
		m.usage.restore(uses)
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
