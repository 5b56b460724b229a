package gateway_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/gateway"
)

// TestAssertionCacheAfterKeyRemoval: once the keys are removed from the
// store and the ring is read again, a cached assertion signed by a
// removed key is not served: the next one is signed by a published key.
func TestAssertionCacheAfterKeyRemoval(t *testing.T) {
	sa, _ := backends[0].open(t)
	a := newAssertions(t, gateway.AssertionConfig{Keys: sa, ReloadEvery: 10 * time.Millisecond})
	before := token(t, a, principal(1))
	if err := sa.DeleteAssertionKeys(t.Context(), time.Now().AddDate(10, 0, 0)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	a.Run(ctx)
	after := token(t, a, principal(1))
	if slices.Contains(kids(t, serveJWKS(t, a)), kidOf(t, before)) {
		t.Fatalf("Run did not read the ring again: the removed key %s is still published", kidOf(t, before))
	}
	if !slices.Contains(kids(t, serveJWKS(t, a)), kidOf(t, after)) {
		t.Errorf("after the keys were removed and read again, Token returns an assertion signed by %s, which the JWKS no longer publishes (the cached one: %v)", kidOf(t, after), before == after)
	}
}
