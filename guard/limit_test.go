package guard_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/guard"
)

func TestFailureLimit(t *testing.T) {
	const burst = 3
	e := newEnv(t, func(c *guard.Config) { c.FailureBurst = burst; c.FailuresPerMinute = 6 })
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	bad := key[:30] + "aaaa" + key[34:] // checksum fails
	h := e.handler(gatehouse.ScopeRead)
	const attacker, other = "203.0.113.9", "192.0.2.1"
	for i := range burst {
		if w := send(h, attacker, "/", "Bearer "+bad); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, w.Code)
		}
	}
	for _, text := range []string{bad, key} {
		w := send(h, attacker, "/", "Bearer "+text)
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "10" {
			t.Fatalf("over the limit: %d, Retry-After %q, want 429, 10", w.Code, w.Header().Get("Retry-After"))
		}
		if d := details(t, w); d.Status != 429 {
			t.Fatalf("problem %+v", d)
		}
	}
	if n := len(e.rejections()); n != burst {
		t.Fatalf("%d key.reject events, want %d: limited requests must not reach the store", n, burst)
	}
	if w := send(h, other, "/", "Bearer "+key); w.Code != 200 {
		t.Fatalf("valid key from another address: %d", w.Code)
	}
	e.clock.Add(10 * time.Second) // one failure earned back
	if w := send(h, attacker, "/", "Bearer "+key); w.Code != 200 {
		t.Fatalf("after waiting: %d", w.Code)
	}
	if w := send(h, attacker, "/", "Bearer "+bad); w.Code != 401 {
		t.Fatalf("the earned failure: %d", w.Code)
	}
	if w := send(h, attacker, "/", "Bearer "+bad); w.Code != 429 {
		t.Fatalf("then limited again: %d", w.Code)
	}
}

// TestFailureLimitIPv6Prefix: addresses of one /64 share their failures.
func TestFailureLimitIPv6Prefix(t *testing.T) {
	e := newEnv(t, func(c *guard.Config) { c.FailureBurst = 2 })
	_ = e.key(e.user(gatehouse.RoleAuthor), nil)
	for i := range 2 {
		if _, err := e.g.Verify(context.Background(), "junk", "2001:db8:1:2::"+strconv.Itoa(i+1)); gatehouse.ErrorCode(err) != gatehouse.CodeUnauthenticated {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	_, err := e.g.Verify(context.Background(), "junk", "2001:db8:1:2:ffff::1")
	if wait, ok := guard.RetryAfter(err); !ok || gatehouse.ErrorCode(err) != gatehouse.CodeTooMany || wait <= 0 {
		t.Fatalf("same /64: %v", err)
	}
	if _, err := e.g.Verify(context.Background(), "junk", "2001:db8:1:3::1"); gatehouse.ErrorCode(err) != gatehouse.CodeUnauthenticated {
		t.Fatalf("another /64: %v", err)
	}
}

func TestFailureLimitMemoryIsBounded(t *testing.T) {
	// With room for two addresses, a third evicts one; the limit still
	// holds for an address that keeps failing.
	e := newEnv(t, func(c *guard.Config) { c.FailureBurst = 1; c.FailureClients = 2 })
	verify := func(addr string) gatehouse.Code {
		_, err := e.g.Verify(context.Background(), "junk", addr)
		return gatehouse.ErrorCode(err)
	}
	for i := range 50 {
		addr := "10.0.0." + strconv.Itoa(i)
		if c := verify(addr); c != gatehouse.CodeUnauthenticated {
			t.Fatalf("%s first failure: %s", addr, c)
		}
		if c := verify(addr); c != gatehouse.CodeTooMany {
			t.Fatalf("%s second failure: %s", addr, c)
		}
	}
}
