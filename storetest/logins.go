package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// flow returns a login flow with every field set, created at created.
func (f *fixtures) flow(created time.Time) *gatehouse.LoginFlow {
	return &gatehouse.LoginFlow{
		State: f.names.next("state"), BrowserHash: randomHash(), Provider: "dev",
		Nonce: f.names.next("nonce"), Verifier: f.names.next("verifier"), ReturnTo: "/posts?page=2",
		Created: created, Expires: created.Add(10 * time.Minute),
	}
}

func testLogins(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := newFixtures(t, s)
	base := now()
	a, b := f.flow(base), f.flow(base)
	expired := f.flow(base.Add(-11 * time.Minute))
	for _, fl := range []*gatehouse.LoginFlow{a, b, expired} {
		noErr(t, "PutLogin", s.PutLogin(ctx, fl))
	}
	dup := f.flow(base)
	dup.State = a.State
	wantCode(t, "PutLogin with a state in use", s.PutLogin(ctx, dup), gatehouse.CodeConflict)
	wantCode(t, "PutLogin without a state", s.PutLogin(ctx, &gatehouse.LoginFlow{BrowserHash: randomHash(), Created: base, Expires: base.Add(time.Minute)}), gatehouse.CodeInvalid)
	wantCode(t, "PutLogin without a browser hash", s.PutLogin(ctx, &gatehouse.LoginFlow{State: "s", Created: base, Expires: base.Add(time.Minute)}), gatehouse.CodeInvalid)

	// Taken in the other order than put: each flow is its own.
	for _, fl := range []*gatehouse.LoginFlow{b, a} {
		got, err := s.TakeLogin(ctx, fl.State)
		noErr(t, "TakeLogin", err)
		sameFields(t, "TakeLogin", got, fl)
	}
	steps := []struct {
		name  string
		state string
	}{
		{"taken twice", a.State},
		{"expired", expired.State},
		{"unknown", "no-such-state"},
		{"empty", ""},
	}
	for _, st := range steps {
		_, err := s.TakeLogin(ctx, st.state)
		wantCode(t, "TakeLogin "+st.name, err, gatehouse.CodeNotFound)
	}
}

// testLoginTakenOnce takes one flow from many goroutines at once: exactly
// one of them gets it.
func testLoginTakenOnce(t *testing.T, s gatehouse.Store) {
	f := newFixtures(t, s)
	fl := f.flow(now())
	noErr(t, "PutLogin", s.PutLogin(t.Context(), fl))
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := s.TakeLogin(t.Context(), fl.State)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		switch gatehouse.ErrorCode(err) {
		case "":
			won++
		case gatehouse.CodeNotFound:
		default:
			t.Errorf("TakeLogin: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent TakeLogin calls got the flow, want exactly 1", won, n)
	}
}
