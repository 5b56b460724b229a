// Package guard authenticates requests and checks their scopes.
//
// Authenticate is the middleware that turns a credential into a
// *gatehouse.Principal in the request's context; Require and RequireAuth
// refuse requests whose principal is missing or lacks a scope. Routes decide
// what they need: Authenticate lets anonymous requests through.
//
// # API keys
//
// Verify checks a key in memory on the hot path: the checksum first (so
// that junk never reaches the store or the cache), then a bounded cache of
// the key's hashes, status and a prebuilt Principal, then a constant-time
// comparison of SHA-256 hashes. Uses are batched in memory and written to
// the store every FlushInterval. Nothing is written to the store for a
// successful request. During a roll's grace period the previous secret
// still authenticates, but without the keys scope: whoever holds a leaked
// old secret cannot roll the key again or make new ones.
//
// # Staying current
//
// The cache is used only while Run is watching the store's change feed:
// every change to a key or its owner (revoke, roll, delete, role change,
// disable), made by this instance or any other sharing the store, drops the
// cached entries within the feed's delay (one second at most). Without Run,
// or while the feed is failing, every request reads the store: a feed
// error empties the cache and turns it off until the feed is read again.
// A feed that reports lost changes (pruned before they were read) empties
// the whole cache. As a backstop, no entry serves longer than
// CacheMaxAge. The key management code of the same instance also calls
// InvalidateKey and InvalidateUser, so that its own changes apply at once.
//
// # Failures
//
// Every refused key is recorded in the audit log with its real reason, but
// the client sees one 401 whatever the reason. Refusals are written by Run
// in the background: the first after a quiet FlushInterval at once, the
// ones that follow gathered over the interval, one row per address, reason
// and key with the count in its Detail ("count=N"). A flood of bad keys
// never makes a request wait for the store, nor queues writes ahead of
// revocations. At most AuditQueue distinct refusals are held between
// writes; the rest are counted in one row and logged. Each client address (IPv6
// by /64) may fail FailureBurst times, then FailuresPerMinute: beyond that
// its keys are refused with 429 before any lookup. A request that will read
// the store reserves one of its address's failures first and gives it
// back on success, so that requests sent at once cannot all pass the check
// before any has failed. A limited address is never forgotten to make room
// for others: when the limiter is full of them, new addresses share one
// allowance. A store that cannot be reached refuses with 503: the guard
// fails closed.
package guard

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/lastuse"
)

// Store is what the guard needs from a gatehouse.Store.
type Store interface {
	Key(ctx context.Context, id string) (*gatehouse.APIKey, error)
	User(ctx context.Context, id int64) (*gatehouse.User, error)
	TouchKeys(ctx context.Context, uses []gatehouse.KeyUse) error
	AppendAudit(ctx context.Context, e *gatehouse.AuditEvent) error
	gatehouse.ChangeFeed
}

// Sessions authenticates requests by something other than an API key, such
// as a session cookie.
type Sessions interface {
	// Authenticate returns the request's principal and true, or false when
	// the request carries no valid session. An error (a store that cannot
	// be reached) is written as a problem response.
	Authenticate(r *http.Request) (*gatehouse.Principal, bool, error)
}

// Config holds a Guard's dependencies and settings.
type Config struct {
	// Store keeps keys, users and the audit log, and feeds changes.
	// Required.
	Store Store
	// Sessions, when not nil, authenticates requests without a key. A
	// request with both a key and a session is refused with 400.
	Sessions Sessions
	// Logger receives refusals and background failures; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CacheSize bounds the number of cached keys; 0 means 10000. When full,
	// a random entry makes room.
	CacheSize int
	// CacheMaxAge is how long a cached key may serve before it is read
	// again, whatever the change feed says; 0 means 30s. It bounds the
	// harm of a feed that stops delivering without failing.
	CacheMaxAge time.Duration
	// IdleExpiry, when positive, is how long a key may go unused before it
	// expires on its own (see gatehouse.APIKey.Status). 0: never.
	IdleExpiry time.Duration
	// FlushInterval is how often key uses and refused keys are written to
	// the store; 0 means two seconds.
	FlushInterval time.Duration
	// AuditQueue bounds the distinct refusals (address, reason, key) held
	// for the audit log between writes; 0 means 1000. Beyond it refusals
	// are only counted.
	AuditQueue int
	// FailureBurst is how many failures a client address may have in a
	// row before it is limited; 0 means 10.
	FailureBurst int
	// FailuresPerMinute is the rate at which a limited address earns
	// failures back; 0 means 10.
	FailuresPerMinute float64
	// FailureClients bounds the number of addresses whose failures are
	// remembered; 0 means 10000. Only addresses whose allowance has
	// refilled are forgotten; while none has, new addresses share one
	// allowance.
	FailureClients int
	// ClientAddr returns the address of the client that sent r, for the
	// failure limit and the audit log. Nil means the host part of
	// r.RemoteAddr; a server behind proxies passes one that trusts only
	// them.
	ClientAddr func(r *http.Request) string
}

// Guard authenticates requests. It is safe for concurrent use. Create it
// with New and keep Run running.
type Guard struct {
	store      Store
	sessions   Sessions
	log        *slog.Logger
	now        func() time.Time
	idle       time.Duration
	flushEvery time.Duration
	clientAddr func(*http.Request) string

	cache    *cache
	usage    *lastuse.Batch[gatehouse.KeyUse]
	limits   *limiter
	refusals *refusals

	runMu   sync.Mutex // held by Run: one Run at a time
	running bool
}

// Default settings.
const (
	DefaultCacheSize      = 10000
	DefaultCacheMaxAge    = 30 * time.Second
	DefaultFlushInterval  = 2 * time.Second
	DefaultFailureBurst   = 10
	DefaultFailureRate    = 10 // per minute
	DefaultFailureClients = 10000
	DefaultAuditQueue     = 1000
)

// New returns a Guard for cfg, or an error for a missing Store or a
// negative setting.
func New(cfg Config) (*Guard, error) {
	if cfg.Store == nil {
		return nil, errors.New("guard: Store is required")
	}
	if cfg.CacheSize < 0 || cfg.CacheMaxAge < 0 || cfg.IdleExpiry < 0 || cfg.FlushInterval < 0 || cfg.FailureBurst < 0 ||
		cfg.FailuresPerMinute < 0 || cfg.FailureClients < 0 || cfg.AuditQueue < 0 {
		return nil, errors.New("guard: negative setting in Config")
	}
	g := &Guard{
		store: cfg.Store, sessions: cfg.Sessions, log: cfg.Logger, now: cfg.Now,
		idle: cfg.IdleExpiry, flushEvery: orDefault(cfg.FlushInterval, DefaultFlushInterval),
		clientAddr: cfg.ClientAddr,
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.clientAddr == nil {
		g.clientAddr = remoteHost
	}
	g.cache = newCache(orDefault(cfg.CacheSize, DefaultCacheSize), orDefault(cfg.CacheMaxAge, DefaultCacheMaxAge))
	g.usage = newUsage()
	g.refusals = newRefusals(orDefault(cfg.AuditQueue, DefaultAuditQueue))
	g.limits = newLimiter(orDefault(cfg.FailureBurst, DefaultFailureBurst),
		orDefault(cfg.FailuresPerMinute, DefaultFailureRate), orDefault(cfg.FailureClients, DefaultFailureClients))
	return g, nil
}

func orDefault[T int | float64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// remoteHost is the default ClientAddr: the host part of r.RemoteAddr.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Run watches the store's change feed, which enables the cache, and writes
// batched key uses and refusals every FlushInterval, until ctx ends. It
// then writes those still pending (with a fresh context of a few seconds)
// and returns ctx.Err(). Only one Run may run at a time.
func (g *Guard) Run(ctx context.Context) error {
	g.runMu.Lock()
	if g.running {
		g.runMu.Unlock()
		return errors.New("guard: Run is already running")
	}
	g.running = true
	g.runMu.Unlock()
	defer func() { g.runMu.Lock(); g.running = false; g.runMu.Unlock() }()

	var wg sync.WaitGroup
	wg.Go(func() { g.watch(ctx) })
	wg.Go(func() { g.flushLoop(ctx) })
	wg.Go(func() { g.refusalLoop(ctx) })
	wg.Wait()
	return ctx.Err()
}

// InvalidateKey drops what is cached about the key with the given id.
func (g *Guard) InvalidateKey(id string) { g.cache.dropKey(id) }

// InvalidateUser drops what is cached about every key of the given user.
func (g *Guard) InvalidateUser(userID int64) { g.cache.dropUser(userID) }

// CacheLen returns the number of cached keys.
func (g *Guard) CacheLen() int { return g.cache.len() }
