package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// DefaultAssertionHeader is the request header that carries the assertion.
const DefaultAssertionHeader = "X-Gatehouse-Assertion"

// AssertionConfig configures Assertions. The zero value signs with
// Ed25519, five-minute tokens, keys rotated daily and kept in memory.
type AssertionConfig struct {
	// Keys, when not nil, keeps the key ring, so that every instance over
	// the same store (replicas behind a load balancer, and the process
	// after a restart) signs with the same keys and publishes the same
	// JWKS. The store holds the private keys, as it holds the ACME account
	// key (see gatehouse.AssertionKey). Nil keeps the keys in this
	// instance's memory: its JWKS is its own, and the next instance makes
	// new keys.
	Keys gatehouse.AssertionKeyStore
	// Header is the request header of the assertion; "" means
	// DefaultAssertionHeader.
	Header string
	// Algorithm is AlgEdDSA (the default) or AlgES256.
	Algorithm string
	// Issuer is the iss claim; "" means "gatehouse".
	Issuer string
	// Lifetime is how long an assertion is valid; 0 means five minutes.
	Lifetime time.Duration
	// RotateEvery is how long each key signs. A key is published one
	// period before it signs and stays published one period after, so
	// that verifiers caching the key set for less than a period never
	// meet an unknown key. 0 means 24 hours; it may not be shorter than
	// Lifetime, and is rounded down to a millisecond. Periods start at
	// multiples of RotateEvery since the Unix epoch, so instances sharing
	// Keys must use the same RotateEvery and Algorithm to share keys.
	RotateEvery time.Duration
	// ReloadEvery is how often Run reads the key ring again and adds the
	// next period's key when it is missing; 0 means a minute, or half of
	// RotateEvery if that is shorter. It must be shorter than RotateEvery,
	// so that the next key is in the ring before its period begins. An
	// instance also reads the ring when the period changes, without
	// waiting for Run (a read only: requests never write to the store).
	ReloadEvery time.Duration
	// CacheSize bounds the number of cached assertions; 0 means 10000.
	CacheSize int
	// Logger receives failures to read the key ring; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Assertions signs short-lived JWTs (RFC 7519) that tell an upstream who is
// calling, and publishes their keys as a JWKS. An assertion is signed
// once per principal, audience and half lifetime, then reused. It is safe
// for concurrent use.
//
// # Keys
//
// Keys sign for one period each (RotateEvery). The ring holds the key of
// the current period; the next one, published a period before it signs
// (unless it was made when its period had begun: the first key of a
// store, or after the store was unreachable for a whole period); and the
// previous one, published until the assertions it signed have expired.
// It lives in the store (AssertionConfig.Keys): NewAssertions and Run add
// the key of the current or the next period when it is missing, and since
// the store keeps one key per period, instances that do so at once all
// sign with the key that was stored first. Each instance signs from a copy
// in memory, read again when the period changes and by Run: no request
// writes to the store, and none waits for it, except the one that reads
// it when a period begins and, should the ring in memory hold no key for
// the new period, the ones that wait for that read.
type Assertions struct {
	header, alg, issuer string
	lifetime, rotate    time.Duration
	reloadEvery         time.Duration
	now                 func() time.Time
	max                 int
	keys                gatehouse.AssertionKeyStore
	log                 *slog.Logger

	ring     atomic.Pointer[ring]
	reloadMu sync.Mutex // serialises reads of the store

	cacheMu sync.RWMutex
	cache   map[assertKey]*assertEntry
}

// claims are an assertion's JWT claims.
type claims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	IssuedAt int64  `json:"iat"`
	NotBef   int64  `json:"nbf"`
	Expires  int64  `json:"exp"`
	Email    string `json:"email,omitempty"`
	Role     string `json:"role"`
	Method   string `json:"auth_method"`
	KeyID    string `json:"key_id,omitempty"`
	Scope    string `json:"scope"`
}

type assertKey struct {
	userID     int64
	credential string // key id or session id
	audience   string
}

type assertEntry struct {
	p          *gatehouse.Principal // the principal it was signed for
	key        *signingKey          // the key that signed it
	token      string
	reuseUntil time.Time
}

// NewAssertions reads the key ring from cfg.Keys (adding the keys it
// lacks) or, without Keys, generates one in memory, and returns
// Assertions.
func NewAssertions(ctx context.Context, cfg AssertionConfig) (*Assertions, error) {
	a := &Assertions{
		header: cfg.Header, alg: cfg.Algorithm, issuer: cfg.Issuer, lifetime: cfg.Lifetime,
		rotate: cfg.RotateEvery.Truncate(time.Millisecond), reloadEvery: cfg.ReloadEvery, now: cfg.Now,
		max: cfg.CacheSize, keys: cfg.Keys, log: cfg.Logger, cache: map[assertKey]*assertEntry{},
	}
	if cfg.RotateEvery != 0 && a.rotate == 0 {
		return nil, errors.New("gateway: RotateEvery must be at least a millisecond")
	}
	a.defaults()
	if err := checkAlg(a.alg); err != nil {
		return nil, err
	}
	if a.lifetime < 0 || a.rotate < a.lifetime || a.max < 0 || a.reloadEvery < 0 {
		return nil, errors.New("gateway: assertion lifetime must be positive and no longer than RotateEvery")
	}
	if a.reloadEvery >= a.rotate {
		return nil, errors.New("gateway: ReloadEvery must be shorter than RotateEvery")
	}
	if err := a.load(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Assertions) defaults() {
	if a.header == "" {
		a.header = DefaultAssertionHeader
	}
	if a.alg == "" {
		a.alg = AlgEdDSA
	}
	if a.issuer == "" {
		a.issuer = "gatehouse"
	}
	if a.lifetime == 0 {
		a.lifetime = 5 * time.Minute
	}
	if a.rotate == 0 {
		a.rotate = 24 * time.Hour
	}
	if a.reloadEvery == 0 {
		a.reloadEvery = min(time.Minute, a.rotate/2)
	}
	if a.keys == nil {
		a.keys = &memKeys{}
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.max == 0 {
		a.max = 10000
	}
	if a.now == nil {
		a.now = time.Now
	}
}

// Header returns the name of the request header that carries assertions.
func (a *Assertions) Header() string { return a.header }

// Token returns an assertion of p for audience, from the cache while it has
// at least half its lifetime left and its key still signs. A cached
// assertion never waits for the store. When the signing period has
// changed, one request reads the key ring again; the others wait for
// that read only if the ring in memory has no key for now. ctx does not
// end the read, which other requests share.
func (a *Assertions) Token(ctx context.Context, p *gatehouse.Principal, audience string) (string, error) {
	now := a.now()
	k := assertKey{userID: p.UserID, credential: p.KeyID + p.SessionID, audience: audience}
	a.cacheMu.RLock()
	e := a.cache[k]
	a.cacheMu.RUnlock()
	if e != nil && (e.p == p || samePrincipal(e.p, p)) && now.Before(e.reuseUntil) && e.key == a.ring.Load().signer(a.alg, now) {
		return e.token, nil
	}
	r := a.current(ctx, now)
	tok, key, err := a.sign(r, p, audience, now)
	if err != nil {
		return "", err
	}
	a.store(k, &assertEntry{p: p, key: key, token: tok, reuseUntil: now.Add(a.lifetime / 2)}, now)
	return tok, nil
}

// samePrincipal reports whether a and b would make the same assertion
// (a session store may build a new Principal for every request).
func samePrincipal(a, b *gatehouse.Principal) bool {
	return a.UserID == b.UserID && a.Email == b.Email && a.Role == b.Role && a.Method == b.Method &&
		a.KeyID == b.KeyID && a.SessionID == b.SessionID && slices.Equal(a.Scopes, b.Scopes)
}

// sign makes a new assertion of p with the key of now's period, and
// returns it with that key.
func (a *Assertions) sign(r *ring, p *gatehouse.Principal, audience string, now time.Time) (string, *signingKey, error) {
	key := r.signer(a.alg, now)
	if key == nil {
		return "", nil, fmt.Errorf("gateway: no %s assertion key signs at %s", a.alg, now.UTC().Format(time.RFC3339))
	}
	body, err := json.Marshal(claims{
		Issuer: a.issuer, Subject: strconv.FormatInt(p.UserID, 10), Audience: audience,
		IssuedAt: now.Unix(), NotBef: now.Unix(), Expires: now.Add(a.lifetime).Unix(),
		Email: p.Email, Role: string(p.Role), Method: string(p.Method), KeyID: p.KeyID, Scope: p.Scopes.String(),
	})
	if err != nil {
		return "", nil, fmt.Errorf("gateway: encode assertion: %w", err)
	}
	input := key.hdr + "." + b64.EncodeToString(body)
	sig, err := key.sign([]byte(input))
	if err != nil {
		return "", nil, err
	}
	return input + "." + b64.EncodeToString(sig), key, nil
}

// store caches e, making room when the cache is full: expired entries
// first, then any.
func (a *Assertions) store(k assertKey, e *assertEntry, now time.Time) {
	a.cacheMu.Lock()
	defer a.cacheMu.Unlock()
	if len(a.cache) >= a.max {
		for old, v := range a.cache {
			if !now.Before(v.reuseUntil) || len(a.cache) >= a.max {
				delete(a.cache, old)
			}
		}
	}
	a.cache[k] = e
}

// ServeHTTP serves the JWKS: every stored key that has not expired (the
// key that signs, the next one and the retired one).
func (a *Assertions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	set := a.current(r.Context(), a.now()).jwks
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(set)
}
