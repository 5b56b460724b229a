package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
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
// Ed25519, five-minute tokens, keys rotated daily.
type AssertionConfig struct {
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
	// Lifetime.
	RotateEvery time.Duration
	// CacheSize bounds the number of cached assertions; 0 means 10000.
	CacheSize int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Assertions signs short-lived JWTs (RFC 7519) that tell an upstream who is
// calling, and publishes their keys as a JWKS. An assertion is signed
// once per principal, audience and half lifetime, then reused. It is safe
// for concurrent use.
//
// The keys live in memory: each instance has its own, published by its
// own JWKS, and a restart makes new ones.
type Assertions struct {
	header, alg, issuer string
	lifetime, rotate    time.Duration
	now                 func() time.Time
	max                 int

	dueNanos atomic.Int64 // when the next rotation is due, read without the lock
	mu       sync.Mutex   // guards the ring
	prev     *signingKey  // retired, still published
	cur      *signingKey  // signs
	next     *signingKey  // published, signs after the next rotation
	set      atomic.Pointer[[]byte]

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
	token      string
	reuseUntil time.Time
}

// NewAssertions generates the first two keys and returns Assertions.
func NewAssertions(cfg AssertionConfig) (*Assertions, error) {
	a := &Assertions{
		header: cfg.Header, alg: cfg.Algorithm, issuer: cfg.Issuer, lifetime: cfg.Lifetime,
		rotate: cfg.RotateEvery, now: cfg.Now, max: cfg.CacheSize, cache: map[assertKey]*assertEntry{},
	}
	a.defaults()
	if a.lifetime < 0 || a.rotate < a.lifetime || a.max < 0 {
		return nil, errors.New("gateway: assertion lifetime must be positive and no longer than RotateEvery")
	}
	var err error
	if a.cur, err = newSigningKey(a.alg); err != nil {
		return nil, err
	}
	if a.next, err = newSigningKey(a.alg); err != nil {
		return nil, err
	}
	a.dueNanos.Store(a.now().Add(a.rotate).UnixNano())
	return a, a.publish()
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
// at least half its lifetime left.
func (a *Assertions) Token(p *gatehouse.Principal, audience string) (string, error) {
	now := a.now()
	a.rotateIfDue(now)
	k := assertKey{userID: p.UserID, credential: p.KeyID + p.SessionID, audience: audience}
	a.cacheMu.RLock()
	e := a.cache[k]
	a.cacheMu.RUnlock()
	if e != nil && (e.p == p || samePrincipal(e.p, p)) && now.Before(e.reuseUntil) {
		return e.token, nil
	}
	tok, err := a.sign(p, audience, now)
	if err != nil {
		return "", err
	}
	a.store(k, &assertEntry{p: p, token: tok, reuseUntil: now.Add(a.lifetime / 2)}, now)
	return tok, nil
}

// samePrincipal reports whether a and b would make the same assertion
// (a session store may build a new Principal for every request).
func samePrincipal(a, b *gatehouse.Principal) bool {
	return a.UserID == b.UserID && a.Email == b.Email && a.Role == b.Role && a.Method == b.Method &&
		a.KeyID == b.KeyID && a.SessionID == b.SessionID && slices.Equal(a.Scopes, b.Scopes)
}

// sign makes a new assertion of p with the current key.
func (a *Assertions) sign(p *gatehouse.Principal, audience string, now time.Time) (string, error) {
	a.mu.Lock()
	key := a.cur
	a.mu.Unlock()
	body, err := json.Marshal(claims{
		Issuer: a.issuer, Subject: strconv.FormatInt(p.UserID, 10), Audience: audience,
		IssuedAt: now.Unix(), NotBef: now.Unix(), Expires: now.Add(a.lifetime).Unix(),
		Email: p.Email, Role: string(p.Role), Method: string(p.Method), KeyID: p.KeyID, Scope: p.Scopes.String(),
	})
	if err != nil {
		return "", fmt.Errorf("gateway: encode assertion: %w", err)
	}
	input := key.header() + "." + b64.EncodeToString(body)
	sig, err := key.sign([]byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64.EncodeToString(sig), nil
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

// rotateIfDue retires the current key, starts signing with the published
// next one and publishes a new next one, once per RotateEvery.
func (a *Assertions) rotateIfDue(now time.Time) {
	if now.UnixNano() < a.dueNanos.Load() {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	due := time.Unix(0, a.dueNanos.Load())
	if now.Before(due) {
		return // another request rotated
	}
	next, err := newSigningKey(a.alg)
	if err != nil {
		return // keep signing with the current key; the next request tries again
	}
	a.prev, a.cur, a.next = a.cur, a.next, next
	a.dueNanos.Store(now.Add(a.rotate).UnixNano())
	_ = a.publishLocked() // cannot fail: the keys encode
}

func (a *Assertions) publish() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.publishLocked()
}

func (a *Assertions) publishLocked() error {
	b, err := jwks(a.cur, a.next, a.prev)
	if err != nil {
		return err
	}
	a.set.Store(&b)
	return nil
}

// ServeHTTP serves the JWKS: the key that signs, the next one and the
// retired one.
func (a *Assertions) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.rotateIfDue(a.now())
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(*a.set.Load())
}
