package guard_test

import (
	"context"
	"crypto/rand"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// auditCountingStore is the real SQLite store, counting audit writes.
type auditCountingStore struct {
	*sqlite.Store
	appends atomic.Int64
}

func (s *auditCountingStore) AppendAudit(ctx context.Context, e *gatehouse.AuditEvent) error {
	s.appends.Add(1)
	return s.Store.AppendAudit(ctx, e)
}

// refusalCount returns how many refusals an audit event stands for.
func refusalCount(tb testing.TB, ev *gatehouse.AuditEvent) int {
	tb.Helper()
	n, err := strconv.Atoi(strings.TrimPrefix(ev.Detail, "count="))
	if err != nil || !strings.HasPrefix(ev.Detail, "count=") || n < 1 {
		tb.Fatalf("event %+v: Detail %q, want count=N", *ev, ev.Detail)
	}
	return n
}

// TestRefusalFloodIsAggregated: refused keys cost no audit write while
// requests are served (a flood of them would queue on the store's single
// writer, ahead of revocations); Flush writes one row per address, reason
// and key, whose counts add up to the refusals.
func TestRefusalFloodIsAggregated(t *testing.T) {
	const n = 1000
	cs := &auditCountingStore{}
	e := newEnv(t, func(c *guard.Config) {
		cs.Store = c.Store.(*sqlite.Store)
		c.Store, c.FailureBurst = cs, 10*n
	})
	good := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	unknown, _ := apikey.New(rand.Reader)
	wrongSecret, _ := apikey.Roll(good[10:26], rand.Reader)
	texts := []string{"junk", unknown.String(), wrongSecret.String()}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := e.g.Verify(context.Background(), texts[i%len(texts)], "203.0.113.7")
			if gatehouse.ErrorCode(err) != gatehouse.CodeUnauthenticated {
				t.Errorf("refusal %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got := cs.appends.Load(); got != 0 {
		t.Fatalf("%d audit writes while serving refusals, want none before Flush", got)
	}
	evs := e.rejections()
	if len(evs) != len(texts) {
		t.Fatalf("%d audit events, want %d (one per reason and key): %v", len(evs), len(texts), evs)
	}
	total := map[string]int{}
	for _, ev := range evs {
		total[ev.Reason] += refusalCount(t, ev)
		if ev.Addr != "203.0.113.7" {
			t.Errorf("event %+v", *ev)
		}
	}
	want := map[string]int{"malformed key": 334, "unknown key": 333, "wrong secret": 333}
	for reason, count := range want {
		if total[reason] != count {
			t.Errorf("%s: %d refusals recorded, want %d", reason, total[reason], count)
		}
	}
}

// TestRefusalQueueIsBounded: beyond AuditQueue distinct refusals between
// flushes, refusals are counted rather than held, and the count is
// recorded and logged.
func TestRefusalQueueIsBounded(t *testing.T) {
	e := newEnv(t, func(c *guard.Config) { c.AuditQueue = 2 })
	for i := range 5 {
		if _, err := e.g.Verify(context.Background(), "junk", "192.0.2."+strconv.Itoa(i+1)); gatehouse.ErrorCode(err) != gatehouse.CodeUnauthenticated {
			t.Fatal(err)
		}
	}
	evs := e.rejections()
	if len(evs) != 3 {
		t.Fatalf("%d events, want the 2 held and 1 for the rest: %v", len(evs), evs)
	}
	if last := evs[2]; last.Addr != "" || refusalCount(t, last) != 3 || !strings.Contains(last.Reason, "not recorded") {
		t.Errorf("event for the refusals beyond the queue: %+v", *last)
	}
	if !strings.Contains(e.logs.String(), "count=3") {
		t.Errorf("the refusals beyond the queue are not logged: %s", e.logs)
	}
}

// TestRefusalsWrittenWhenRunEnds: refusals still queued when Run ends are
// written, as key uses are.
func TestRefusalsWrittenWhenRunEnds(t *testing.T) {
	e := newEnv(t, func(c *guard.Config) { c.FlushInterval = 1 << 62 })
	stop := e.run()
	if _, err := e.g.Verify(context.Background(), "junk", "192.0.2.1"); gatehouse.ErrorCode(err) != gatehouse.CodeUnauthenticated {
		t.Fatal(err)
	}
	stop()
	evs, err := e.store.AuditEvents(context.Background(), gatehouse.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Reason != "malformed key" {
		t.Fatalf("after Run ended: %v", evs)
	}
}

// TestRefusalWrittenPromptly: under Run, a refusal after a quiet interval
// reaches the audit log at once, without waiting for FlushInterval; the
// ones that follow within the interval are gathered, and written when Run
// ends at the latest.
func TestRefusalWrittenPromptly(t *testing.T) {
	e := newEnv(t, func(c *guard.Config) { c.FlushInterval = 1 << 62 })
	stop := e.run()
	events := func() []*gatehouse.AuditEvent {
		evs, err := e.store.AuditEvents(context.Background(), gatehouse.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return evs
	}
	for range 3 {
		if _, err := e.g.Verify(context.Background(), "junk", "192.0.2.1"); gatehouse.ErrorCode(err) != gatehouse.CodeUnauthenticated {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "first refusal written", func() bool { return len(events()) > 0 })
	}
	stop()
	evs := events()
	total := 0
	for _, ev := range evs {
		total += refusalCount(t, ev)
	}
	if len(evs) != 2 || total != 3 {
		t.Fatalf("after Run ended: %d rows for %d refusals, want 2 rows (the first, then the rest) for 3", len(evs), total)
	}
}
