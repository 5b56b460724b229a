package guard_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/guard"
)

func (e *env) lastUsed(id string) (time.Time, string) {
	e.tb.Helper()
	k, err := e.store.Key(context.Background(), id)
	if err != nil {
		e.tb.Fatal(err)
	}
	return k.LastUsed, k.LastUsedAddr
}

func TestLastUsedIsBatched(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	for i := range 3 {
		e.clock.Add(time.Minute)
		if w := send(h, "198.51.100.1", "/", "Bearer "+key); w.Code != 200 {
			t.Fatalf("request %d: %d", i, w.Code)
		}
	}
	if at, _ := e.lastUsed(key[10:26]); !at.IsZero() {
		t.Fatalf("last use written before Flush: %v", at)
	}
	if err := e.g.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	at, addr := e.lastUsed(key[10:26])
	if !at.Equal(t0.Add(3*time.Minute)) || addr != "198.51.100.1" {
		t.Fatalf("after Flush: last used %v from %q, want %v from 198.51.100.1", at, addr, t0.Add(3*time.Minute))
	}
}

func TestLastUsedFlushedWhenRunEnds(t *testing.T) {
	e := newEnv(t, func(c *guard.Config) { c.FlushInterval = time.Hour })
	stop := e.run()
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	e.clock.Add(time.Second)
	if w := send(e.handler(gatehouse.ScopeRead), "198.51.100.2", "/", "Bearer "+key); w.Code != 200 {
		t.Fatal(w.Code)
	}
	if at, _ := e.lastUsed(key[10:26]); !at.IsZero() {
		t.Fatalf("last use written before shutdown: %v", at)
	}
	stop()
	if at, addr := e.lastUsed(key[10:26]); !at.Equal(t0.Add(time.Second)) || addr != "198.51.100.2" {
		t.Fatalf("after Run ended: last used %v from %q", at, addr)
	}
}

func TestFlushFailureKeepsUses(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	if w := send(e.handler(gatehouse.ScopeRead), "198.51.100.3", "/", "Bearer "+key); w.Code != 200 {
		t.Fatal(w.Code)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.g.Flush(ctx); err == nil {
		t.Fatal("Flush with a cancelled context: no error")
	}
	if err := e.g.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if at, _ := e.lastUsed(key[10:26]); !at.Equal(t0) {
		t.Fatalf("use lost after a failed Flush: last used %v", at)
	}
}
