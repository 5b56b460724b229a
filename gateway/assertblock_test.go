package gateway_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/gateway"
)

// blockingKeys is an AssertionKeyStore whose reads, once armed, signal
// entered and wait for release.
type blockingKeys struct {
	gatehouse.AssertionKeyStore
	armed   atomic.Bool
	once    sync.Once
	entered chan struct{}
	release chan struct{}
}

func (b *blockingKeys) AssertionKeys(ctx context.Context, t time.Time) ([]*gatehouse.AssertionKey, error) {
	if b.armed.Load() {
		b.once.Do(func() { close(b.entered) })
		<-b.release
	}
	return b.AssertionKeyStore.AssertionKeys(ctx, t)
}

// TestAssertionPeriodChangeNoWait: when a period begins and one request
// is reading the store, which hangs, other requests (a principal whose
// assertion was cached, and the JWKS) do not wait for it: the ring in
// memory already holds the new period's key.
func TestAssertionPeriodChangeNoWait(t *testing.T) {
	sa, _ := backends[0].open(t)
	keys := &blockingKeys{AssertionKeyStore: sa, entered: make(chan struct{}), release: make(chan struct{})}
	clock := &fakeClock{t: time.Date(2030, 1, 1, 0, 50, 0, 0, time.UTC)}
	a := newAssertions(t, gateway.AssertionConfig{Keys: keys, Now: clock.Now, RotateEvery: time.Hour, Lifetime: time.Hour})
	cached := token(t, a, principal(1))
	next := kids(t, serveJWKS(t, a))

	clock.Add(15 * time.Minute)
	keys.armed.Store(true)
	var wg sync.WaitGroup
	released := false
	release := func() {
		if !released {
			released = true
			close(keys.release)
		}
	}
	t.Cleanup(func() { release(); wg.Wait() })
	wg.Go(func() {
		if _, err := a.Token(context.Background(), principal(2), "https://upstream"); err != nil {
			t.Error(err)
		}
	})
	select {
	case <-keys.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the first request of the period did not read the store")
	}

	done := make(chan string, 1)
	go func() {
		tok, err := a.Token(context.Background(), principal(1), "https://upstream")
		if err != nil {
			t.Error(err)
		}
		done <- tok
	}()
	var tok string
	select {
	case tok = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Token waited for another request's read of the store")
	}
	if tok == cached || kidOf(t, tok) == kidOf(t, cached) {
		t.Errorf("in the new period Token signs with %s, the previous period's key", kidOf(t, tok))
	}
	jwks := make(chan []byte, 1)
	go func() { jwks <- serveJWKS(t, a) }()
	select {
	case j := <-jwks:
		if got := kids(t, j); len(got) != len(next) {
			t.Errorf("JWKS %q while the store is read, want the ring in memory %q", got, next)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the JWKS waited for another request's read of the store")
	}
	release()
	wg.Wait()
}
