package guard_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
)

// TestRevocationFromAnotherInstancePostgres: a revocation through another
// Store on the same database reaches the guard within the feed's delay.
func TestRevocationFromAnotherInstancePostgres(t *testing.T) {
	schema := pgtest.Schema(t)
	e := newEnvOn(t, pgtest.OpenSchema(t, schema), "", nil)
	e.run()
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	e.warm(h, key)
	other := pgtest.OpenSchema(t, schema)
	if err := other.RevokeKey(context.Background(), key[10:26], t0); err != nil {
		t.Fatal(err)
	}
	eventually(t, feedDelay, "revocation from another instance", func() bool {
		return send(h, "192.0.2.1", "/", "Bearer "+key).Code == http.StatusUnauthorized
	})
}
