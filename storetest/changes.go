package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// deliveryTimeout bounds how long a test waits for a change. The contract
// is one second; the margin keeps slow CI machines from failing tests that
// are not about speed.
const deliveryTimeout = 10 * time.Second

// watcher runs WatchChanges in the background and collects its changes.
type watcher struct {
	ch   chan gatehouse.Change
	errc chan error
}

// watch starts WatchChanges on s after seq; t.Cleanup stops it and checks
// that it returned ctx.Err().
func watch(t *testing.T, s gatehouse.Store, after int64) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{ch: make(chan gatehouse.Change, 1000), errc: make(chan error, 1)}
	go func() { w.errc <- s.WatchChanges(ctx, after, func(c gatehouse.Change) { w.ch <- c }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-w.errc; !errors.Is(err, context.Canceled) {
			t.Errorf("WatchChanges returned %v, want context.Canceled", err)
		}
	})
	return w
}

// next returns the next change, failing t when none comes in time.
func (w *watcher) next(t *testing.T) gatehouse.Change {
	t.Helper()
	select {
	case c := <-w.ch:
		return c
	case err := <-w.errc:
		t.Fatalf("WatchChanges returned early: %v", err)
	case <-time.After(deliveryTimeout):
		t.Fatalf("no change delivered within %v", deliveryTimeout)
	}
	return gatehouse.Change{}
}

// expect checks that the next changes concern want, in order, with
// increasing Seq after after, and returns the last Seq.
func (w *watcher) expect(t *testing.T, after int64, want ...gatehouse.Change) int64 {
	t.Helper()
	for _, c := range want {
		got := w.next(t)
		if got.Seq <= after || got.UserID != c.UserID || got.KeyID != c.KeyID {
			t.Fatalf("got change %+v after seq %d, want user %d key %q", got, after, c.UserID, c.KeyID)
		}
		after = got.Seq
	}
	return after
}

func testChanges(t *testing.T, open Opener) {
	t.Run("EveryMutation", func(t *testing.T) { testEveryMutation(t, open(t)) })
	t.Run("FailuresRecordNothing", func(t *testing.T) { testFailedMutations(t, open(t)) })
	t.Run("Resume", func(t *testing.T) { testResume(t, open(t)) })
	t.Run("StopsWithContext", func(t *testing.T) { testWatchStops(t, open(t)) })
}

// mutations makes one of each change-recording mutation on a new user and
// returns the changes they must record, in order.
func mutations(t *testing.T, s gatehouse.Store) []gatehouse.Change {
	ctx := t.Context()
	f := newFixtures(t, s)
	u := f.user()
	k := f.key(u.ID, "k", now())
	u.Role = gatehouse.RoleReader
	noErr(t, "UpdateUser", s.UpdateUser(ctx, u))
	noErr(t, "RollKey", s.RollKey(ctx, k.ID, randomHash(), now(), now().Add(time.Minute)))
	noErr(t, "RevokeKey", s.RevokeKey(ctx, k.ID, now()))
	noErr(t, "DeleteKey", s.DeleteKey(ctx, k.ID))
	return []gatehouse.Change{{UserID: u.ID}, {KeyID: k.ID}, {KeyID: k.ID}, {KeyID: k.ID}}
}

func testEveryMutation(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	last, err := s.LastChange(ctx)
	noErr(t, "LastChange", err)
	if last != 0 {
		t.Fatalf("LastChange of an empty store = %d, want 0", last)
	}
	w := watch(t, s, 0)
	want := mutations(t, s)
	seq := w.expect(t, 0, want...)
	last, err = s.LastChange(ctx)
	noErr(t, "LastChange", err)
	if last != seq {
		t.Errorf("LastChange = %d, want %d", last, seq)
	}
	// Exactly once: the next change delivered is the next one made.
	more := mutations(t, s)
	w.expect(t, seq, more...)
}

func testFailedMutations(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := newFixtures(t, s)
	u := f.user()
	k := f.key(u.ID, "k", now())
	noErr(t, "RevokeKey", s.RevokeKey(ctx, k.ID, now()))
	before, err := s.LastChange(ctx)
	noErr(t, "LastChange", err)
	failures := []struct {
		name string
		err  error
	}{
		{"revoke twice", s.RevokeKey(ctx, k.ID, now())},
		{"roll revoked", s.RollKey(ctx, k.ID, randomHash(), now(), time.Time{})},
		{"revoke missing", s.RevokeKey(ctx, "missing", now())},
		{"delete missing", s.DeleteKey(ctx, "missing")},
		{"update missing user", s.UpdateUser(ctx, &gatehouse.User{ID: u.ID + 99, Issuer: "i", Subject: "s", Kind: gatehouse.KindPerson, Role: gatehouse.RoleReader})},
	}
	for _, fl := range failures {
		if fl.err == nil {
			t.Errorf("%s succeeded", fl.name)
		}
	}
	after, err := s.LastChange(ctx)
	noErr(t, "LastChange", err)
	if after != before {
		t.Errorf("failed mutations moved LastChange from %d to %d", before, after)
	}
}

func testResume(t *testing.T, s gatehouse.Store) {
	first := mutations(t, s)
	last, err := s.LastChange(t.Context())
	noErr(t, "LastChange", err)
	// A watcher that starts at 0 catches up on everything, in order.
	watch(t, s, 0).expect(t, 0, first...)
	// One that starts at the last change sees only what comes later.
	w := watch(t, s, last)
	w.expect(t, last, mutations(t, s)...)
}

func testWatchStops(t *testing.T, s gatehouse.Store) {
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := s.WatchChanges(ctx, 0, func(gatehouse.Change) {})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WatchChanges returned %v, want context.DeadlineExceeded", err)
	}
}
