// Package storetest is the conformance suite that every gatehouse.Store
// implementation runs: the same behaviour, checked against a real database.
//
// A backend's test calls Run with a function that opens a new, migrated,
// empty store, and RunShared with one that opens two stores on one new
// database:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) gatehouse.Store { return mustOpen(t) })
//	}
package storetest

import (
	"crypto/rand"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// Opener returns a new, migrated, empty store that t.Cleanup closes.
type Opener func(t *testing.T) gatehouse.Store

// SharedOpener returns two stores on one new, migrated, empty database, as
// two replicas (or two processes) would hold them; t.Cleanup closes both.
type SharedOpener func(t *testing.T) (a, b gatehouse.Store)

// Run runs the conformance suite as subtests of t, each on a store of its
// own from open.
func Run(t *testing.T, open Opener) {
	t.Run("Users", func(t *testing.T) { testUsers(t, open) })
	t.Run("Keys", func(t *testing.T) { testKeys(t, open) })
	t.Run("TouchKeys", func(t *testing.T) { testTouchKeys(t, open) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("Changes", func(t *testing.T) { testChanges(t, open) })
	t.Run("CertCache", func(t *testing.T) { testCertCache(t, open) })
	t.Run("AssertionKeys", func(t *testing.T) { testAssertionKeys(t, open) })
	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// RunShared checks that two stores on one database see each other's writes
// and changes, as the replicas of a deployment must.
func RunShared(t *testing.T, open SharedOpener) {
	t.Run("SharedChanges", func(t *testing.T) { testSharedChanges(t, open) })
	t.Run("SharedReads", func(t *testing.T) { testSharedReads(t, open) })
	t.Run("ConcurrentChanges", func(t *testing.T) { testConcurrentChanges(t, open) })
	t.Run("ConcurrentAssertionKeys", func(t *testing.T) { testConcurrentAssertionKeys(t, open) })
}

// now is a time in the precision every backend keeps (milliseconds).
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// wantCode fails t unless err carries code.
func wantCode(t *testing.T, what string, err error, code gatehouse.Code) {
	t.Helper()
	if got := gatehouse.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

// noErr fails t on err.
func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sameFields fails t unless got has want's field values. Times are compared
// with Equal and scopes as sets, since backends may return nil or empty.
func sameFields(t *testing.T, what string, got, want any) {
	t.Helper()
	wv, gv := reflect.ValueOf(want).Elem(), reflect.ValueOf(got).Elem()
	for i := range wv.NumField() {
		w, g := wv.Field(i).Interface(), gv.Field(i).Interface()
		if !same(w, g) {
			t.Errorf("%s: %s = %v, want %v", what, wv.Type().Field(i).Name, g, w)
		}
	}
}

func same(w, g any) bool {
	switch w := w.(type) {
	case time.Time:
		return w.Equal(g.(time.Time))
	case gatehouse.Scopes:
		return w.String() == g.(gatehouse.Scopes).String()
	}
	return reflect.DeepEqual(w, g)
}

// randomHash returns a random hash that also holds a zero and a 0xff byte,
// so that a backend that treats it as text or truncates it at a NUL fails.
func randomHash() [32]byte {
	var h [32]byte
	rand.Read(h[:])
	h[3], h[17], h[31] = 0, 0xff, 0
	return h
}

// counter makes unique names within a test.
type counter struct{ n int }

func (c *counter) next(prefix string) string {
	c.n++
	return fmt.Sprintf("%s-%d-%s", prefix, c.n, rand.Text()[:8])
}
