package sqlite

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// millis stores t as UTC Unix milliseconds, and the zero time as NULL.
func millis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMillis reverses millis.
func fromMillis(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

// stamp is t in the precision the database keeps, so that what a method
// sets on its argument equals what a later read returns.
func stamp(t time.Time) time.Time {
	return time.UnixMilli(t.UnixMilli()).UTC()
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

// scopesValue stores scopes space-separated, as OAuth writes them.
func scopesValue(ss gatehouse.Scopes) string { return ss.String() }

// toScopes reverses scopesValue.
func toScopes(s string) gatehouse.Scopes {
	f := strings.Fields(s)
	out := make([]gatehouse.Scope, len(f))
	for i, n := range f {
		out[i] = gatehouse.Scope(n)
	}
	return gatehouse.NewScopes(out...)
}
