package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// testSharedChanges: a revocation on one replica reaches the other's
// watcher, and the other then reads the revoked key, not a stale one.
func testSharedChanges(t *testing.T, open SharedOpener) {
	a, b := open(t)
	ctx := t.Context()
	fa := newFixtures(t, a)
	k := fa.key(fa.user().ID, "k", now())
	wb, wa := watch(t, b, 0), watch(t, a, 0)

	at := now()
	noErr(t, "RevokeKey on a", a.RevokeKey(ctx, k.ID, at))
	seq := wb.expect(t, 0, gatehouse.Change{KeyID: k.ID})
	got, err := b.Key(ctx, k.ID)
	noErr(t, "Key on b", err)
	if !got.Revoked.Equal(at) {
		t.Errorf("b reads Revoked %v after the change, want %v", got.Revoked, at)
	}
	wa.expect(t, 0, gatehouse.Change{KeyID: k.ID})

	noErr(t, "DeleteKey on b", b.DeleteKey(ctx, k.ID))
	wa.expect(t, seq, gatehouse.Change{KeyID: k.ID})
	wb.expect(t, seq, gatehouse.Change{KeyID: k.ID})
	_, err = a.Key(ctx, k.ID)
	wantCode(t, "Key on a after delete on b", err, gatehouse.CodeNotFound)
}

// testSharedReads: writes on one store are read on the other, and
// conflicts are detected across them.
func testSharedReads(t *testing.T, open SharedOpener) {
	a, b := open(t)
	ctx := t.Context()
	fa := newFixtures(t, a)
	u := fa.user()
	k := fa.key(u.ID, "k", now())
	got, err := b.Key(ctx, k.ID)
	noErr(t, "Key on b", err)
	sameFields(t, "key read on b", got, k)
	dup := &gatehouse.APIKey{ID: "dup", UserID: u.ID, Label: "k", Hash: randomHash(), Created: now()}
	wantCode(t, "CreateKey with a taken label on b", b.CreateKey(ctx, dup), gatehouse.CodeConflict)

	// Both write at once: neither fails with a lock error.
	errs := make(chan error, 2)
	for i, s := range []gatehouse.Store{a, b} {
		go func() {
			for j := range 20 {
				use := gatehouse.KeyUse{KeyID: k.ID, At: now().Add(time.Duration(j*2+i) * time.Millisecond), Addr: "192.0.2.1:1"}
				if err := s.TouchKeys(ctx, []gatehouse.KeyUse{use}); err != nil {
					errs <- err
					return
				}
				if err := s.AppendAudit(ctx, &gatehouse.AuditEvent{Action: gatehouse.ActionKeyReject, Reason: "load"}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 2 {
		noErr(t, "concurrent writes", <-errs)
	}
	events, err := a.AuditEvents(ctx, gatehouse.AuditFilter{Limit: 1000})
	noErr(t, "AuditEvents", err)
	if len(events) != 40 {
		t.Errorf("got %d events from concurrent writers, want 40", len(events))
	}
}

// testConcurrentChanges revokes many keys from both stores at once while
// a watcher on each reads the feed: each watcher must see every change
// exactly once, in increasing Seq. A backend whose seq order differs from
// its commit order makes a watcher skip a change here.
func testConcurrentChanges(t *testing.T, open SharedOpener) {
	a, b := open(t)
	f := newFixtures(t, a)
	owner := f.user()
	const n = 40
	keys := make([]*gatehouse.APIKey, n)
	for i := range keys {
		keys[i] = f.key(owner.ID, f.names.next("c"), now())
	}
	watchers := []*watcher{watch(t, a, 0), watch(t, b, 0)}
	errs := make(chan error, n)
	for i, k := range keys {
		s := []gatehouse.Store{a, b}[i%2]
		go func() { errs <- s.RevokeKey(t.Context(), k.ID, now()) }()
	}
	for range n {
		noErr(t, "RevokeKey", <-errs)
	}
	for i, w := range watchers {
		seen := map[string]bool{}
		var last int64
		for range n {
			c := w.next(t)
			if c.Seq <= last || seen[c.KeyID] {
				t.Fatalf("watcher %d: change %+v after seq %d (seen before: %v)", i, c, last, seen[c.KeyID])
			}
			seen[c.KeyID], last = true, c.Seq
		}
		for _, k := range keys {
			if !seen[k.ID] {
				t.Errorf("watcher %d never saw the revocation of %s", i, k.ID)
			}
		}
	}
}
