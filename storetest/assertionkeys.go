package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// assertionKey returns a key of alg that signs in [nb, nb+period) and
// expires a period later, with private key bytes that hold a zero and a
// 0xff byte (a backend that treats them as text fails).
func assertionKey(kid, alg string, nb time.Time, period time.Duration) *gatehouse.AssertionKey {
	h := randomHash()
	return &gatehouse.AssertionKey{
		KID: kid, Alg: alg, PrivateKey: h[:], NotBefore: nb, NotAfter: nb.Add(period),
		Expires: nb.Add(2 * period), Created: now(),
	}
}

// wantKIDs fails t unless keys are, in order, the keys named by kids.
func wantKIDs(t *testing.T, what string, keys []*gatehouse.AssertionKey, kids ...string) {
	t.Helper()
	got := make([]string, len(keys))
	for i, k := range keys {
		got[i] = k.KID
	}
	if fmt.Sprint(got) != fmt.Sprint(kids) {
		t.Fatalf("%s: kids %q, want %q", what, got, kids)
	}
}

func testAssertionKeys(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	t0 := now().Truncate(time.Hour)
	keys, err := s.AssertionKeys(ctx, t0)
	noErr(t, "AssertionKeys(empty)", err)
	wantKIDs(t, "empty store", keys)

	cur := assertionKey("cur", "EdDSA", t0, time.Hour)
	next := assertionKey("next", "EdDSA", t0.Add(time.Hour), time.Hour)
	old := assertionKey("old", "EdDSA", t0.Add(-2*time.Hour), time.Hour) // expired at t0
	other := assertionKey("es", "ES256", t0, time.Hour)                  // same period, another algorithm
	for _, k := range []*gatehouse.AssertionKey{next, cur, old, other} {
		noErr(t, "AddAssertionKey "+k.KID, s.AddAssertionKey(ctx, k))
	}
	keys, err = s.AssertionKeys(ctx, t0)
	noErr(t, "AssertionKeys", err)
	wantKIDs(t, "after adding", keys, "cur", "es", "next")
	sameFields(t, "cur read back", keys[0], cur)
	sameFields(t, "next read back", keys[2], next)

	// A second key for a taken period, or a taken kid, changes nothing:
	// the first one stays, and no error says otherwise.
	rival := assertionKey("rival", "EdDSA", t0, time.Hour)
	noErr(t, "AddAssertionKey for a taken period", s.AddAssertionKey(ctx, rival))
	sameKID := assertionKey("cur", "EdDSA", t0.Add(5*time.Hour), time.Hour)
	noErr(t, "AddAssertionKey with a taken kid", s.AddAssertionKey(ctx, sameKID))
	keys, err = s.AssertionKeys(ctx, t0)
	noErr(t, "AssertionKeys after rivals", err)
	wantKIDs(t, "after rivals", keys, "cur", "es", "next")
	sameFields(t, "cur after rivals", keys[0], cur)

	// A key is listed while it has not expired.
	keys, err = s.AssertionKeys(ctx, cur.Expires.Add(-time.Millisecond))
	noErr(t, "AssertionKeys just before cur expires", err)
	wantKIDs(t, "just before cur expires", keys, "cur", "es", "next")
	keys, err = s.AssertionKeys(ctx, cur.Expires)
	noErr(t, "AssertionKeys when cur expires", err)
	wantKIDs(t, "when cur expires", keys, "next")

	noErr(t, "DeleteAssertionKeys", s.DeleteAssertionKeys(ctx, cur.Expires))
	keys, err = s.AssertionKeys(ctx, time.Unix(0, 0))
	noErr(t, "AssertionKeys after delete", err)
	wantKIDs(t, "after delete", keys, "next")
	// The period of a deleted key is free again.
	noErr(t, "AddAssertionKey again", s.AddAssertionKey(ctx, rival))
	keys, err = s.AssertionKeys(ctx, t0)
	noErr(t, "AssertionKeys after re-adding", err)
	wantKIDs(t, "after re-adding", keys, "rival", "next")

	for _, bad := range []*gatehouse.AssertionKey{
		{Alg: "EdDSA", PrivateKey: []byte{1}, NotBefore: t0, NotAfter: t0.Add(time.Hour), Expires: t0.Add(time.Hour)},
		{KID: "x", Alg: "EdDSA", NotBefore: t0, NotAfter: t0.Add(time.Hour), Expires: t0.Add(time.Hour)},
		{KID: "x", Alg: "EdDSA", PrivateKey: []byte{1}, NotBefore: t0, NotAfter: t0, Expires: t0.Add(time.Hour)},
		{KID: "x", Alg: "EdDSA", PrivateKey: []byte{1}, NotBefore: t0, NotAfter: t0.Add(time.Hour), Expires: t0},
	} {
		wantCode(t, fmt.Sprintf("AddAssertionKey(%+v)", bad), s.AddAssertionKey(ctx, bad), gatehouse.CodeInvalid)
	}
}

// testConcurrentAssertionKeys: replicas that add a key for one period at
// once all succeed, exactly one key is kept, and both stores read it.
func testConcurrentAssertionKeys(t *testing.T, open SharedOpener) {
	a, b := open(t)
	ctx := t.Context()
	nb := now().Truncate(time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		s := []gatehouse.Store{a, b}[i%2]
		wg.Go(func() {
			errs <- s.AddAssertionKey(ctx, assertionKey(fmt.Sprintf("k%d", i), "EdDSA", nb, time.Hour))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		noErr(t, "AddAssertionKey", err)
	}
	ka, err := a.AssertionKeys(ctx, nb)
	noErr(t, "AssertionKeys on a", err)
	kb, err := b.AssertionKeys(ctx, nb)
	noErr(t, "AssertionKeys on b", err)
	if len(ka) != 1 || len(kb) != 1 {
		t.Fatalf("%d and %d keys for one period, want 1", len(ka), len(kb))
	}
	sameFields(t, "the key as b reads it", kb[0], ka[0])
}
