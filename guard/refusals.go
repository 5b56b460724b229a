package guard

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

// reasonUnrecorded is the reason of the audit event that stands for the
// refusals a full queue could only count.
const reasonUnrecorded = "refusals not recorded one by one: too many at once"

// rejection is a refused key, for the audit log.
type rejection struct {
	addr, reason, keyID string
	userID              int64
}

// refusal is a rejection seen n times since first.
type refusal struct {
	rejection
	first time.Time
	n     int
}

// event is the audit event that records r.
func (r *refusal) event() *gatehouse.AuditEvent {
	prefix := ""
	if r.keyID != "" {
		prefix = apikey.DisplayPrefix(r.keyID)
	}
	return &gatehouse.AuditEvent{
		Time: r.first, Action: gatehouse.ActionKeyReject, UserID: r.userID, KeyID: r.keyID,
		KeyPrefix: prefix, Addr: r.addr, Reason: r.reason, Detail: fmt.Sprintf("count=%d", r.n),
	}
}

// refusals gathers refused keys between flushes, so that a flood of them
// costs the store one audit row per address, reason and key each
// FlushInterval rather than one per request, and no request waits for the
// store. It holds at most max distinct refusals, in the order first seen;
// beyond that it only counts them.
type refusals struct {
	ready   chan struct{} // holds a token when refusals are waiting
	writeMu sync.Mutex    // held while writing, so a Flush waits for a write under way

	mu      sync.Mutex
	max     int
	index   map[rejection]int // into list
	list    []refusal
	dropped refusal // the refusals only counted; n is 0 when none
}

func newRefusals(max int) *refusals {
	return &refusals{max: max, index: make(map[rejection]int), ready: make(chan struct{}, 1)}
}

// add notes r, seen n times since at.
func (q *refusals) add(r rejection, at time.Time, n int) {
	select {
	case q.ready <- struct{}{}:
	default:
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if i, ok := q.index[r]; ok {
		q.list[i].n += n
		return
	}
	if len(q.list) >= q.max {
		if q.dropped.n == 0 {
			q.dropped = refusal{rejection{reason: reasonUnrecorded}, at, 0}
		}
		q.dropped.n += n
		return
	}
	q.index[r] = len(q.list)
	q.list = append(q.list, refusal{r, at, n})
}

// take removes and returns the refusals gathered, the counted ones last.
func (q *refusals) take() []refusal {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.list
	if q.dropped.n > 0 {
		out = append(out, q.dropped)
	}
	q.list, q.dropped = nil, refusal{}
	clear(q.index)
	return out
}

// flushRefusals writes the refusals gathered since the last flush. Those
// it could not write are kept for the next one, as far as room allows.
func (g *Guard) flushRefusals(ctx context.Context) error {
	g.refusals.writeMu.Lock()
	defer g.refusals.writeMu.Unlock()
	list := g.refusals.take()
	for i := range list {
		r := &list[i]
		if r.reason == reasonUnrecorded {
			g.log.WarnContext(ctx, "guard: refused keys not recorded one by one; the queue was full", "count", r.n)
		}
		if err := g.store.AppendAudit(ctx, r.event()); err != nil {
			for _, rest := range list[i:] {
				g.refusals.add(rest.rejection, rest.first, rest.n)
			}
			return fmt.Errorf("guard: record refused keys: %w", err)
		}
	}
	return nil
}

// refusalLoop writes refusals until ctx ends, then once more with a fresh
// context. A refusal after a quiet interval is written at once; those that
// follow within FlushInterval are gathered and written together at its
// end, so that a flood costs one write of a few rows per interval.
func (g *Guard) refusalLoop(ctx context.Context) {
	defer func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
		defer cancel()
		if err := g.flushRefusals(fctx); err != nil {
			g.log.ErrorContext(fctx, "guard: final flush of refused keys", "err", err)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.refusals.ready:
		}
		if err := g.flushRefusals(ctx); err != nil {
			g.log.WarnContext(ctx, "guard: flush refused keys", "err", err)
		}
		if !sleep(ctx, g.flushEvery) {
			return
		}
	}
}

// sleep waits for d, and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
