package guard_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
)

func BenchmarkVerifyCacheHit(b *testing.B) {
	e := newEnv(b, nil)
	e.run()
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	e.warm(e.handler(""), key)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.g.Verify(ctx, key, "192.0.2.1"); err != nil {
			b.Fatal(err)
		}
	}
}

// benchmarkMiss verifies a key whose entry is dropped before every
// Verify, so that each one reads the key and its owner from the store.
func benchmarkMiss(b *testing.B, e *env) {
	e.run()
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	e.warm(e.handler(""), key)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e.g.InvalidateKey(key[10:26])
		if _, err := e.g.Verify(ctx, key, "192.0.2.1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCacheMissSQLite(b *testing.B) { benchmarkMiss(b, newEnv(b, nil)) }

func BenchmarkVerifyCacheMissPostgres(b *testing.B) {
	benchmarkMiss(b, newEnvOn(b, pgtest.Open(b), "", nil))
}

// trivial is the handler behind the guard in the request benchmarks.
var trivial = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusNoContent)
})

// discard is a reusable ResponseWriter, so that the request benchmarks can
// be read without httptest.NewRecorder's allocations.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// benchmarkRequest serves r through h, with a new recorder per request (as
// a test would) and with a reused writer (closer to the server's cost).
func benchmarkRequest(b *testing.B, h http.Handler, r *http.Request) {
	b.Run("recorder", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusNoContent {
				b.Fatal(w.Code)
			}
		}
	})
	b.Run("writer", func(b *testing.B) {
		w := &discard{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, r)
			clear(w.h)
		}
	})
	b.Run("loopback", func(b *testing.B) { benchmarkLoopback(b, h, r.Header) })
}

// benchmarkLoopback sends real HTTP/1.1 requests over a kept-alive
// loopback connection: the cost a client sees.
func benchmarkLoopback(b *testing.B, h http.Handler, header http.Header) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := srv.Client()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/posts", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header = header.Clone()
	b.ReportAllocs()
	for b.Loop() {
		roundTrip(b, c, req)
	}
}

// roundTrip sends r with c and reads the whole answer, which must be the
// trivial handler's 204.
func roundTrip(b *testing.B, c *http.Client, r *http.Request) {
	resp, err := c.Do(r)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b.Fatal(resp.StatusCode)
	}
}

// BenchmarkAuthenticatedRequest: Authenticate and Require in front of a
// trivial handler, with a cached key. Compare with
// BenchmarkUnauthenticatedRequest, the same handler without the guard.
func BenchmarkAuthenticatedRequest(b *testing.B) {
	e := newEnv(b, nil)
	e.run()
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	e.warm(e.handler(""), key)
	r := httptest.NewRequest(http.MethodGet, "/api/posts", nil)
	r.RemoteAddr = "192.0.2.1:40000"
	r.Header.Set("Authorization", "Bearer "+key)
	benchmarkRequest(b, e.g.Authenticate(e.g.Require(gatehouse.ScopeRead, trivial)), r)
}

// BenchmarkUnauthenticatedRequest is the same request, with an
// Authorization header of the same length that nothing reads, to the same
// handler without the guard: the difference is what authentication costs.
// The guard and its store run in the background as they do for
// BenchmarkAuthenticatedRequest, so that both measure the same process.
func BenchmarkUnauthenticatedRequest(b *testing.B) {
	e := newEnv(b, nil)
	e.run()
	r := httptest.NewRequest(http.MethodGet, "/api/posts", nil)
	r.RemoteAddr = "192.0.2.1:40000"
	r.Header.Set("Authorization", "Bearer "+strings.Repeat("x", apikey.Length))
	benchmarkRequest(b, trivial, r)
}

// BenchmarkAuthOverheadLoopback answers the question the two loopback
// benchmarks above answer only on a quiet machine: what authentication
// adds to a real HTTP request. It sends requests in turns, over one
// kept-alive connection each, to two servers in the same process (the
// guard with a cached key in front of trivial, and trivial alone with an
// Authorization header of the same length), so that whatever else the
// machine does slows both alike. It reports each one's time per request
// and their ratio (auth-ratio; 1.00 is free).
func BenchmarkAuthOverheadLoopback(b *testing.B) {
	e := newEnv(b, nil)
	e.run()
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	e.warm(e.handler(""), key)
	guarded := httptest.NewServer(e.g.Authenticate(e.g.Require(gatehouse.ScopeRead, trivial)))
	defer guarded.Close()
	bare := httptest.NewServer(trivial)
	defer bare.Close()

	request := func(srv *httptest.Server, auth string) (*http.Client, *http.Request) {
		r, err := http.NewRequest(http.MethodGet, srv.URL+"/api/posts", nil)
		if err != nil {
			b.Fatal(err)
		}
		r.Header.Set("Authorization", auth)
		return srv.Client(), r
	}
	gc, gr := request(guarded, "Bearer "+key)
	bc, br := request(bare, "Bearer "+strings.Repeat("x", apikey.Length))
	do := func(c *http.Client, r *http.Request) time.Duration {
		start := time.Now()
		roundTrip(b, c, r)
		return time.Since(start)
	}
	do(gc, gr)
	do(bc, br)

	var withAuth, without time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// Alternate which goes first, so neither always follows the other.
		if i%2 == 0 {
			withAuth += do(gc, gr)
			without += do(bc, br)
		} else {
			without += do(bc, br)
			withAuth += do(gc, gr)
		}
	}
	b.ReportMetric(float64(withAuth.Nanoseconds())/float64(b.N), "auth-ns/req")
	b.ReportMetric(float64(without.Nanoseconds())/float64(b.N), "noauth-ns/req")
	b.ReportMetric(float64(withAuth)/float64(without), "auth-ratio")
}

// BenchmarkFailureFromNewAddressWhenFull: a failure from a new address
// while the limiter remembers FailureClients limited addresses, the state
// an attacker with many addresses keeps it in. Finding room must not cost
// a pass over every address under the lock all requests share.
func BenchmarkFailureFromNewAddressWhenFull(b *testing.B) {
	const clients = guard.DefaultFailureClients
	e := newEnv(b, func(c *guard.Config) { c.FailureBurst = 1; c.FailureClients = clients })
	ctx := context.Background()
	addr := func(i int) string { return fmt.Sprintf("2001:db8:%x:%x::1", i>>16, i&0xffff) }
	for i := range clients {
		e.g.Verify(ctx, "junk", addr(i))
	}
	fresh := make([]string, 1<<16)
	for i := range fresh {
		fresh[i] = addr(clients + i)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		e.g.Verify(ctx, "junk", fresh[i%len(fresh)])
		i++
	}
}
