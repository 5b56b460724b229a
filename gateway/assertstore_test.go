package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/gateway"
	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// sharedStores opens two stores on one new database, as two replicas
// would: a SQLite file, or a PostgreSQL schema.
type sharedStores func(t *testing.T) (a, b gatehouse.Store)

var backends = []struct {
	name string
	open sharedStores
}{
	{"sqlite", func(t *testing.T) (gatehouse.Store, gatehouse.Store) {
		path := filepath.Join(t.TempDir(), "gatehouse.db")
		return openSQLite(t, path), openSQLite(t, path)
	}},
	{"postgres", func(t *testing.T) (gatehouse.Store, gatehouse.Store) {
		schema := pgtest.Schema(t)
		return pgtest.OpenSchema(t, schema), pgtest.OpenSchema(t, schema)
	}},
}

func openSQLite(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, sqlite.Config{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// forEachBackend runs test as a subtest on each store.
func forEachBackend(t *testing.T, test func(t *testing.T, open sharedStores)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b.open) })
	}
}

func newAssertions(t *testing.T, cfg gateway.AssertionConfig) *gateway.Assertions {
	t.Helper()
	a, err := gateway.NewAssertions(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// principal returns a distinct principal for n, so that every call signs.
func principal(n int) *gatehouse.Principal {
	return &gatehouse.Principal{UserID: int64(n), Role: gatehouse.RoleReader, Method: gatehouse.MethodAPIKey,
		KeyID: fmt.Sprint("k", n), Scopes: gatehouse.NewScopes("read")}
}

func token(t *testing.T, a *gateway.Assertions, p *gatehouse.Principal) string {
	t.Helper()
	tok, err := a.Token(t.Context(), p, "https://upstream")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// kidOf returns the kid in token's header.
func kidOf(t *testing.T, token string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Headers[0].KeyID
}

// kids returns the sorted kids of a JWKS.
func kids(t *testing.T, jwks []byte) []string {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	slices.Sort(out)
	return out
}

// TestAssertionKeysShared: two instances over one database (two replicas)
// sign with the same key and publish the same JWKS, so each one's
// assertions verify against the other's JWKS; a new instance (a restart)
// keeps the kids and verifies the old instance's assertions.
func TestAssertionKeysShared(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open sharedStores) {
		for _, alg := range []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256} {
			t.Run(string(alg), func(t *testing.T) {
				sa, sb := open(t)
				cfg := gateway.AssertionConfig{Algorithm: string(alg), Keys: sa}
				a := newAssertions(t, cfg)
				cfg.Keys = sb
				b := newAssertions(t, cfg)
				ta, tb := token(t, a, principal(1)), token(t, b, principal(2))
				ja, jb := serveJWKS(t, a), serveJWKS(t, b)
				verify(t, jb, ta, alg, time.Now())
				verify(t, ja, tb, alg, time.Now())
				if kidOf(t, ta) != kidOf(t, tb) {
					t.Errorf("the replicas sign with %s and %s", kidOf(t, ta), kidOf(t, tb))
				}
				if ka, kb := kids(t, ja), kids(t, jb); !slices.Equal(ka, kb) || len(ka) != 2 {
					t.Errorf("JWKS kids %q and %q, want the same two (current and next)", ka, kb)
				}

				cfg.Keys = sa
				restarted := newAssertions(t, cfg)
				jr := serveJWKS(t, restarted)
				if !slices.Equal(kids(t, jr), kids(t, ja)) {
					t.Errorf("after a restart the JWKS kids are %q, were %q", kids(t, jr), kids(t, ja))
				}
				verify(t, jr, ta, alg, time.Now())
				if tr := token(t, restarted, principal(3)); kidOf(t, tr) != kidOf(t, ta) {
					t.Errorf("after a restart the signing kid is %s, was %s", kidOf(t, tr), kidOf(t, ta))
				}
			})
		}
	})
}

// TestAssertionConcurrentRotation: replicas that all reach a new period at
// once, signing from several goroutines each, converge on one key per
// period: the same signing kid and the same JWKS everywhere, and three
// keys in the store (previous, current, next), the expired ones deleted.
func TestAssertionConcurrentRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open sharedStores) {
		sa, sb := open(t)
		clock := &fakeClock{t: time.Date(2030, 1, 1, 0, 30, 0, 0, time.UTC)}
		var replicas []*gateway.Assertions
		for i := range 4 {
			replicas = append(replicas, newAssertions(t, gateway.AssertionConfig{
				Keys: []gatehouse.Store{sa, sb}[i%2], Now: clock.Now, RotateEvery: time.Hour, Lifetime: 10 * time.Minute,
			}))
		}
		for period := range 3 {
			clock.Add(time.Hour)
			// Every replica's Run, at once: they add the next period's key
			// together, and must all keep the one the store kept.
			var maintained sync.WaitGroup
			for _, a := range replicas {
				maintained.Go(func() { a.Maintain(context.Background()) })
			}
			maintained.Wait()
			var mu sync.Mutex
			signedWith := map[string]bool{}
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range 16 {
				a := replicas[i%len(replicas)]
				wg.Go(func() {
					<-start
					tok, err := a.Token(context.Background(), principal(period*100+i), "https://upstream")
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					signedWith[kidOf(t, tok)] = true
					mu.Unlock()
				})
			}
			close(start)
			wg.Wait()
			if len(signedWith) != 1 {
				t.Fatalf("period %d: the replicas sign with %d keys, want 1", period, len(signedWith))
			}
			want := kids(t, serveJWKS(t, replicas[0]))
			for i, a := range replicas[1:] {
				if got := kids(t, serveJWKS(t, a)); !slices.Equal(got, want) {
					t.Errorf("period %d: replica %d publishes %q, replica 0 %q", period, i+1, got, want)
				}
			}
			stored, err := sa.AssertionKeys(t.Context(), clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			if len(stored) != 3 || len(want) != 3 {
				t.Errorf("period %d: %d keys stored and %d published, want 3 (previous, current, next)", period, len(stored), len(want))
			}
			all, err := sa.AssertionKeys(t.Context(), time.Unix(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 3 {
				t.Errorf("period %d: %d keys in the store, expired ones included, want 3: expired keys are not deleted", period, len(all))
			}
		}
	})
}

// TestAssertionRotationNoDowntime: across five periods, every assertion
// either replica signs verifies against the other replica's JWKS as a
// verifier cached it up to 45 minutes (three quarters of a period)
// before, and every assertion not yet expired verifies against both
// current JWKS.
func TestAssertionRotationNoDowntime(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open sharedStores) {
		sa, sb := open(t)
		clock := &fakeClock{t: time.Date(2030, 1, 1, 0, 10, 0, 0, time.UTC)}
		cfg := gateway.AssertionConfig{Keys: sa, Now: clock.Now, RotateEvery: time.Hour, Lifetime: time.Hour}
		a := newAssertions(t, cfg)
		cfg.Keys = sb
		b := newAssertions(t, cfg)
		replicas := []*gateway.Assertions{a, b}
		type signed struct {
			token string
			at    time.Time
		}
		var (
			cached [][]byte // cached[i]: the JWKS fetched at step i from the replica that did not sign at step i
			tokens []signed
			seen   = map[string]bool{}
		)
		const step = 15 * time.Minute
		for i := range 20 {
			signer, other := replicas[i%2], replicas[(i+1)%2]
			cached = append(cached, serveJWKS(t, other))
			tok := token(t, signer, principal(i%3))
			seen[kidOf(t, tok)] = true
			tokens = append(tokens, signed{tok, clock.Now()})
			verify(t, cached[max(0, i-3)], tok, jose.EdDSA, clock.Now())
			for _, s := range tokens {
				if clock.Now().Before(s.at.Add(time.Hour)) {
					verify(t, serveJWKS(t, a), s.token, jose.EdDSA, clock.Now())
					verify(t, serveJWKS(t, b), s.token, jose.EdDSA, clock.Now())
				}
			}
			clock.Add(step)
			a.Maintain(t.Context()) // as each replica's Run does
			b.Maintain(t.Context())
		}
		if len(seen) < 5 {
			t.Errorf("%d signing keys over five periods, want 5", len(seen))
		}
	})
}

// countingKeys counts the reads and the writes of an AssertionKeyStore.
type countingKeys struct {
	gatehouse.AssertionKeyStore
	reads, writes atomic.Int64
}

func (c *countingKeys) AssertionKeys(ctx context.Context, t time.Time) ([]*gatehouse.AssertionKey, error) {
	c.reads.Add(1)
	return c.AssertionKeyStore.AssertionKeys(ctx, t)
}

func (c *countingKeys) AddAssertionKey(ctx context.Context, k *gatehouse.AssertionKey) error {
	c.writes.Add(1)
	return c.AssertionKeyStore.AddAssertionKey(ctx, k)
}

func (c *countingKeys) DeleteAssertionKeys(ctx context.Context, t time.Time) error {
	c.writes.Add(1)
	return c.AssertionKeyStore.DeleteAssertionKeys(ctx, t)
}

// TestAssertionSigningReadsNoStore: within a period, neither signing nor
// serving the JWKS reads the store; the first request of a new period
// reads it, and the ones after it do not. No request writes to the store,
// at a period change neither: Run adds and removes keys.
func TestAssertionSigningReadsNoStore(t *testing.T) {
	sa, _ := backends[0].open(t)
	keys := &countingKeys{AssertionKeyStore: sa}
	clock := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := newAssertions(t, gateway.AssertionConfig{Keys: keys, Now: clock.Now, RotateEvery: time.Hour, Lifetime: time.Minute})
	burst := func(from int) {
		for i := range 100 {
			token(t, a, principal(from+i))
			serveJWKS(t, a)
		}
	}
	before, wrote := keys.reads.Load(), keys.writes.Load() // NewAssertions added the first keys
	burst(0)
	if n := keys.reads.Load() - before; n != 0 {
		t.Errorf("%d store reads for 100 signatures within a period, want 0", n)
	}
	clock.Add(time.Hour)
	burst(1000)
	after := keys.reads.Load()
	if after == before {
		t.Error("a new period did not read the store")
	}
	burst(2000)
	if n := keys.reads.Load() - after; n != 0 {
		t.Errorf("%d store reads after the period's first request, want 0", n)
	}
	if n := keys.writes.Load() - wrote; n != 0 {
		t.Errorf("requests wrote to the store %d times, want 0", n)
	}
	a.Maintain(t.Context())
	if keys.writes.Load() == wrote {
		t.Error("Run did not add the key of the period after the next")
	}
}

// TestAssertionKeysReloaded: keys removed from the store (say, after a
// leak) are replaced, and every replica's Run stops publishing them and
// publishes the new ones within a few reload intervals.
func TestAssertionKeysReloaded(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open sharedStores) {
		sa, sb := open(t)
		cfg := gateway.AssertionConfig{Keys: sa, ReloadEvery: 20 * time.Millisecond}
		a := newAssertions(t, cfg)
		cfg.Keys = sb
		b := newAssertions(t, cfg)
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		t.Cleanup(func() { cancel(); wg.Wait() })
		wg.Go(func() { a.Run(ctx) })
		wg.Go(func() { b.Run(ctx) })
		old := kids(t, serveJWKS(t, a))
		if err := sa.DeleteAssertionKeys(t.Context(), time.Now().AddDate(10, 0, 0)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			ka, kb := kids(t, serveJWKS(t, a)), kids(t, serveJWKS(t, b))
			fresh := !slices.ContainsFunc(append(ka, kb...), func(k string) bool { return slices.Contains(old, k) })
			if fresh && slices.Equal(ka, kb) && len(ka) == 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the keys were removed: a publishes %q, b %q, removed %q", ka, kb, old)
			}
			time.Sleep(10 * time.Millisecond)
		}
		tok := token(t, a, principal(1))
		verify(t, serveJWKS(t, b), tok, jose.EdDSA, time.Now())
		if slices.Contains(old, kidOf(t, tok)) {
			t.Errorf("a still signs with a removed key")
		}
	})
}
