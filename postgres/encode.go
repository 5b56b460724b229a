package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// ts stores the zero time as NULL.
func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// fromTS reverses ts, in UTC.
func fromTS(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// hashValue stores a hash; the all-zero hash (no hash) as NULL.
func hashValue(h [32]byte) any {
	if h == ([32]byte{}) {
		return nil
	}
	return h[:]
}

// toHash reverses hashValue, refusing a stored value of the wrong length.
func toHash(b []byte) ([32]byte, error) {
	var h [32]byte
	if b == nil {
		return h, nil
	}
	if len(b) != len(h) {
		return h, fmt.Errorf("stored hash has %d bytes, want %d", len(b), len(h))
	}
	copy(h[:], b)
	return h, nil
}

// toScopes reads scopes stored space-separated.
func toScopes(s string) gatehouse.Scopes {
	f := strings.Fields(s)
	out := make([]gatehouse.Scope, len(f))
	for i, n := range f {
		out[i] = gatehouse.Scope(n)
	}
	return gatehouse.NewScopes(out...)
}
