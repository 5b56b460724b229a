package guard_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/sqlite"
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
	recorded := 0
	for _, ev := range e.rejections() {
		recorded += refusalCount(t, ev)
	}
	if recorded != burst {
		t.Fatalf("%d refusals recorded, want %d: limited requests must not reach the store", recorded, burst)
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

// TestFailureLimitBlockedAddressStaysBlocked: an attacker that fails from
// more addresses than the limiter remembers must not push a limited
// address out of it (which would give it a fresh allowance). While every
// remembered address is still limited, new addresses share one
// allowance; once buckets have refilled, they make room again.
func TestFailureLimitBlockedAddressStaysBlocked(t *testing.T) {
	e := newEnv(t, func(c *guard.Config) { c.FailureBurst = 1; c.FailuresPerMinute = 6; c.FailureClients = 4 })
	verify := func(addr string) gatehouse.Code {
		_, err := e.g.Verify(context.Background(), "junk", addr)
		return gatehouse.ErrorCode(err)
	}
	const limited = "203.0.113.9"
	for i, want := range []gatehouse.Code{gatehouse.CodeUnauthenticated, gatehouse.CodeTooMany} {
		if c := verify(limited); c != want {
			t.Fatalf("failure %d: %s, want %s", i, c, want)
		}
	}
	for i := range 50 {
		verify("2001:db8:" + strconv.Itoa(i) + "::1") // a /64 each
		if c := verify(limited); c != gatehouse.CodeTooMany {
			t.Fatalf("after %d other addresses failed, the limited address got %s", i+1, c)
		}
	}
	if c := verify("198.51.100.1"); c != gatehouse.CodeTooMany {
		t.Fatalf("a new address while every remembered one is limited: %s, want too_many", c)
	}
	e.clock.Add(10 * time.Second) // every bucket earns its failure back
	for _, addr := range []string{"198.51.100.1", limited} {
		if c := verify(addr); c != gatehouse.CodeUnauthenticated {
			t.Fatalf("%s after the allowances refilled: %s", addr, c)
		}
	}
}

// countingStore is the real SQLite store, counting key lookups.
type countingStore struct {
	*sqlite.Store
	keys atomic.Int64
}

func (s *countingStore) Key(ctx context.Context, id string) (*gatehouse.APIKey, error) {
	s.keys.Add(1)
	return s.Store.Key(ctx, id)
}

// TestFailureLimitHoldsUnderConcurrency: requests sent at once from one
// address cannot all pass the limit before any of them has failed. Junk
// keys reach the store no more often than the address's allowance, while
// concurrent requests with a good key all succeed.
func TestFailureLimitHoldsUnderConcurrency(t *testing.T) {
	const burst, n = 10, 300
	cs := &countingStore{}
	e := newEnv(t, func(c *guard.Config) { cs.Store = c.Store.(*sqlite.Store); c.Store, c.FailureBurst = cs, burst })
	good := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	junk := make([]string, n)
	for i := range junk {
		k, err := apikey.New(rand.Reader) // well-formed, never stored
		if err != nil {
			t.Fatal(err)
		}
		junk[i] = k.String()
	}
	tests := []struct {
		name     string
		key      func(i int) string
		maxReads int64 // store lookups
		want     func(codes map[gatehouse.Code]int) bool
	}{
		{"junk keys", func(i int) string { return junk[i] }, burst, func(codes map[gatehouse.Code]int) bool {
			return codes[gatehouse.CodeUnauthenticated] <= burst && codes[gatehouse.CodeUnauthenticated]+codes[gatehouse.CodeTooMany] == n
		}},
		{"a good key, not cached", func(int) string { return good }, n, func(codes map[gatehouse.Code]int) bool {
			return codes[""] == n
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := "192.0.2." + strconv.Itoa(len(tt.name))
			cs.keys.Store(0)
			var mu sync.Mutex
			codes := map[gatehouse.Code]int{}
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					_, err := e.g.Verify(context.Background(), tt.key(i), addr)
					mu.Lock()
					codes[gatehouse.ErrorCode(err)]++
					mu.Unlock()
				})
			}
			close(start)
			wg.Wait()
			if got := cs.keys.Load(); got > tt.maxReads {
				t.Errorf("%d store lookups, want at most %d", got, tt.maxReads)
			}
			if !tt.want(codes) {
				t.Errorf("results %v", codes)
			}
		})
	}
}
