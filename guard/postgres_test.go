package guard_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
	"github.com/gatehouse-dev/gatehouse/postgres"
	"github.com/jackc/pgx/v5"
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

// TestBrokenListenerFailsClosedPostgres: the listening connection drops
// and cannot come back (its role is at its connection limit) while the
// pool's connections still work. The guard must stop trusting its cache,
// so that a revocation through another store applies within the feed's
// delay and a retry, not never.
func TestBrokenListenerFailsClosedPostgres(t *testing.T) {
	schema := pgtest.Schema(t)
	other := pgtest.OpenSchema(t, schema)
	role := limitedRole(t, schema)
	st := openAs(t, role, schema)
	e := newEnvOn(t, st, "", func(c *guard.Config) { c.CacheMaxAge = time.Hour })
	e.run()
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	e.warm(h, key)

	superuser(t, `ALTER ROLE `+role+` CONNECTION LIMIT 0`)
	superuser(t, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '`+role+`' AND application_name LIKE 'gatehouse-changes%'`)
	if err := other.RevokeKey(context.Background(), key[10:26], t0); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "revocation while the listener cannot reconnect", func() bool {
		return send(h, "192.0.2.1", "/", "Bearer "+key).Code == http.StatusUnauthorized
	})

	// Once the listener can connect again, the cache comes back.
	superuser(t, `ALTER ROLE `+role+` CONNECTION LIMIT -1`)
	e.warm(h, e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead))
}

// limitedRole creates a login role of its own that may use schema; it is
// dropped when the test ends (after the stores that use it are closed).
func limitedRole(t *testing.T, schema string) string {
	t.Helper()
	role := "gh_role_" + strings.ToLower(rand.Text()[:10])
	superuser(t, `CREATE ROLE `+role+` LOGIN`)
	t.Cleanup(func() {
		superuser(t, `DROP OWNED BY `+role)
		superuser(t, `DROP ROLE `+role)
	})
	for _, grant := range []string{
		`GRANT USAGE ON SCHEMA ` + schema + ` TO ` + role,
		`GRANT ALL ON ALL TABLES IN SCHEMA ` + schema + ` TO ` + role,
		`GRANT ALL ON ALL SEQUENCES IN SCHEMA ` + schema + ` TO ` + role,
	} {
		superuser(t, grant)
	}
	return role
}

// openAs opens a store on schema as role; t.Cleanup closes it.
func openAs(t *testing.T, role, schema string) *postgres.Store {
	t.Helper()
	u, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	st, err := postgres.Open(context.Background(), u.String(), postgres.Config{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// superuser runs sql on a connection of its own as the test server's user.
func superuser(t *testing.T, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
