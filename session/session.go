// Package session keeps server-side browser sessions and their cookie.
//
// A session's secret is a random 256-bit token that only the browser holds,
// in the cookie CookieName:
//
//	__Host-gatehouse=<token>; Path=/; Max-Age=43200; HttpOnly; Secure; SameSite=Strict
//
// The store holds its SHA-256 and finds the session by it; the token is
// never stored, logged or given to JavaScript. Every sign-in makes a fresh
// token and ends the session the browser presented (no fixation).
//
// # Lifetimes
//
// A session ends at the first of: its absolute timeout after sign-in
// (default 12h), its idle timeout after its last use (default 1h), logout,
// its user ending it, an operator ending all of the user's sessions, the
// provider's back-channel logout. A disabled user's sessions are refused.
// A cookie whose session no longer works is treated as no cookie at all:
// the request is anonymous, and routes that need a principal answer 401.
//
// # No cache
//
// Authenticate reads the session (one lookup by primary key) and its user
// from the store on every request, so that ending a session or disabling a
// user takes effect on the next request, on every instance. Uses are not
// written per request: they are batched in memory and written every
// FlushInterval by Run, and the idle timeout counts from the later of the
// stored last use and this instance's pending one.
//
// # Cross-site requests
//
// The cookie is SameSite=Strict, and Authenticate also refuses an unsafe
// request (not GET, HEAD or OPTIONS) that carries the cookie unless
// http.CrossOriginProtection accepts it and the browser said where it came
// from (Sec-Fetch-Site or Origin). Requests authenticated by an API key
// carry no ambient credential and are not affected.
//
// # Login flows
//
// BeginLogin and FinishLogin keep an authorization-code flow on the server
// and bind it to the browser with a login cookie of its own, named after
// the flow's state so that two tabs signing in at once do not overwrite
// each other's. It must be SameSite=Lax: the provider's redirect back is a
// cross-site navigation, on which a Strict cookie is not sent.
package session

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/lastuse"
)

// Store is what the Manager needs from a gatehouse.Store.
type Store interface {
	gatehouse.SessionStore
	gatehouse.LoginStore
	User(ctx context.Context, id int64) (*gatehouse.User, error)
	AppendAudit(ctx context.Context, e *gatehouse.AuditEvent) error
}

// Default settings.
const (
	DefaultIdleTimeout     = time.Hour
	DefaultAbsoluteTimeout = 12 * time.Hour
	DefaultFlushInterval   = 2 * time.Second
	// LoginLifetime is how long a login flow and its cookie last.
	LoginLifetime = 10 * time.Minute
)

// Config holds a Manager's dependencies and settings.
type Config struct {
	// Store keeps sessions, login flows, users and the audit log. Required.
	Store Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives refusals (at debug level) and background failures;
	// nil discards them.
	Logger *slog.Logger
	// IdleTimeout is how long a session may go unused; 0 means 1h.
	IdleTimeout time.Duration
	// AbsoluteTimeout is how long a session lasts after sign-in, used or
	// not, and the cookie's Max-Age; 0 means 12h.
	AbsoluteTimeout time.Duration
	// Rand is the source of tokens and ids; nil means crypto/rand.Reader.
	// Only tests have a reason to set it.
	Rand io.Reader
	// Scopes are the deployment's known scopes; a session holds those its
	// user's role allows (gatehouse.Role.Allows). Nil means
	// gatehouse.BuiltinScopes.
	Scopes gatehouse.Scopes
	// FlushInterval is how often Run writes batched uses; 0 means 2s.
	FlushInterval time.Duration
	// ClientAddr returns the address of the client that sent r, recorded
	// with the session. Nil means the host part of r.RemoteAddr; a server
	// behind proxies passes one that trusts only them.
	ClientAddr func(r *http.Request) string
}

// Manager starts, checks and ends sessions, and keeps login flows. It is
// safe for concurrent use. Create it with New and keep Run running.
type Manager struct {
	store      Store
	now        func() time.Time
	log        *slog.Logger
	idle       time.Duration
	absolute   time.Duration
	rand       io.Reader
	scopes     map[gatehouse.Role]gatehouse.Scopes
	flushEvery time.Duration
	clientAddr func(*http.Request) string
	csrf       *http.CrossOriginProtection
	usage      *lastuse.Batch[gatehouse.SessionUse]
}

// New returns a Manager for cfg, or an error for a missing Store, a
// negative setting or an idle timeout longer than the absolute one.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("session: Store is required")
	}
	if cfg.IdleTimeout < 0 || cfg.AbsoluteTimeout < 0 || cfg.FlushInterval < 0 {
		return nil, errors.New("session: negative setting in Config")
	}
	m := &Manager{
		store: cfg.Store, now: cfg.Now, log: cfg.Logger, rand: cfg.Rand, clientAddr: cfg.ClientAddr,
		idle: orDefault(cfg.IdleTimeout, DefaultIdleTimeout), absolute: orDefault(cfg.AbsoluteTimeout, DefaultAbsoluteTimeout),
		flushEvery: orDefault(cfg.FlushInterval, DefaultFlushInterval), csrf: http.NewCrossOriginProtection(),
	}
	if m.idle > m.absolute {
		return nil, errors.New("session: IdleTimeout is longer than AbsoluteTimeout")
	}
	m.defaults()
	known := cfg.Scopes
	if known == nil {
		known = gatehouse.NewScopes(gatehouse.BuiltinScopes...)
	}
	m.scopes = make(map[gatehouse.Role]gatehouse.Scopes, len(gatehouse.Roles))
	for _, r := range gatehouse.Roles {
		m.scopes[r] = known.Effective(r)
	}
	m.usage = newUsage()
	return m, nil
}

func (m *Manager) defaults() {
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.rand == nil {
		m.rand = rand.Reader
	}
	if m.clientAddr == nil {
		m.clientAddr = remoteHost
	}
}

func orDefault(v, def time.Duration) time.Duration {
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

// IdleTimeout returns how long a session may go unused.
func (m *Manager) IdleTimeout() time.Duration { return m.idle }

// AbsoluteTimeout returns how long a session lasts after sign-in.
func (m *Manager) AbsoluteTimeout() time.Duration { return m.absolute }

// clock returns the time in the precision the stores keep (milliseconds),
// so that a session compares the same before and after a round trip.
func (m *Manager) clock() time.Time {
	return m.now().UTC().Truncate(time.Millisecond)
}
