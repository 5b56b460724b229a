package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/problem"
	"github.com/gatehouse-dev/gatehouse/server"
)

// Config holds a Gateway's dependencies and settings.
type Config struct {
	// Guard authenticates requests (API keys, and sessions when the guard
	// has them). Required; the caller keeps its Run running.
	Guard *guard.Guard
	// RoutesFile is the route file. Reload and Run read it again. Required
	// unless Routes is set.
	RoutesFile string
	// Routes, when not nil, is the table to start with (RoutesFile, if
	// set, is then read only by Reload and Run).
	Routes *Table
	// ParseOptions are used to read RoutesFile.
	ParseOptions ParseOptions
	// Proxies are the peers whose X-Forwarded-* headers are believed and
	// passed on; the zero value trusts nobody. Give the guard the same
	// Proxies' ClientAddr.
	Proxies server.Proxies
	// Headers names the identity headers; zero fields take DefaultHeaders'.
	Headers Headers
	// Assertions, when not nil, adds a signed identity assertion to every
	// authenticated request and publishes its keys at JWKSPath.
	Assertions *Assertions
	// Audit, when not nil, records requests refused to an authenticated
	// caller (at most one a minute per credential and rule). Failed
	// authentication is audited by the guard.
	Audit Auditor
	// Ready, when not nil, is part of the readiness check (e.g. the
	// store's Ping).
	Ready func(ctx context.Context) error
	// UpstreamTimeout bounds the wait for an upstream's response headers
	// (then 504); 0 means 30 seconds. Bodies may stream for longer.
	UpstreamTimeout time.Duration
	// MaxIdleConnsPerHost is how many idle connections to each upstream
	// are kept for reuse; it should match the expected concurrency. 0
	// means 256.
	MaxIdleConnsPerHost int
	// Transport, when not nil, reaches the upstreams instead of
	// NewTransport(MaxIdleConnsPerHost, UpstreamTimeout).
	Transport http.RoundTripper
	// ReloadInterval is how often Run looks at RoutesFile; 0 means 2s.
	ReloadInterval time.Duration
	// Reserved, when not nil, serves the reserved paths the gateway does
	// not serve itself (/auth/..., the console); nil answers them 404.
	Reserved http.Handler
	// Logger receives the access log, reloads and upstream failures; nil
	// discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Version is reported by the health check.
	Version string
}

// Gateway is an http.Handler that authenticates, authorizes and forwards
// requests. It is safe for concurrent use; the route table can be
// replaced (Reload) while it serves.
type Gateway struct {
	guard    *guard.Guard
	file     string
	opts     ParseOptions
	proxies  server.Proxies
	headers  headerSet
	assert   *Assertions
	audit    *auditor
	ready    func(context.Context) error
	reserved http.Handler
	log      *slog.Logger
	now      func() time.Time
	version  string
	interval time.Duration

	transport   http.RoundTripper
	buffers     bufferPool
	state       atomic.Pointer[state]
	authed      http.Handler // guard.Authenticate(authorize)
	own         http.Handler // the reserved paths
	hsts        []string     // the Strict-Transport-Security value, shared read-only
	nosniff     []string     // the X-Content-Type-Options value, shared read-only
	noUserAgent []string     // an empty User-Agent, shared read-only
	csrf        *http.CrossOriginProtection

	reloadMu sync.Mutex // serialises reloads and guards seen
	seen     os.FileInfo
}

// state is one route table with its forwarders, swapped whole on reload.
type state struct {
	table   *Table
	forward []http.Handler // by Rule.index
	probes  []*Upstream
}

// New validates cfg, loads the routes and returns a Gateway.
func New(cfg Config) (*Gateway, error) {
	if cfg.Guard == nil {
		return nil, errors.New("gateway: Guard is required")
	}
	if cfg.Routes == nil && cfg.RoutesFile == "" {
		return nil, errors.New("gateway: Routes or RoutesFile is required")
	}
	if cfg.UpstreamTimeout < 0 || cfg.MaxIdleConnsPerHost < 0 || cfg.ReloadInterval < 0 {
		return nil, errors.New("gateway: negative setting in Config")
	}
	headers, err := newHeaderSet(cfg.Headers, cfg.Assertions)
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		guard: cfg.Guard, file: cfg.RoutesFile, opts: cfg.ParseOptions, proxies: cfg.Proxies,
		headers: headers, assert: cfg.Assertions, ready: cfg.Ready, reserved: cfg.Reserved,
		log: cfg.Logger, now: cfg.Now, version: cfg.Version, interval: cfg.ReloadInterval,
	}
	g.defaults()
	g.hsts, g.nosniff, g.noUserAgent = []string{server.HSTS}, []string{"nosniff"}, []string{""}
	g.csrf = http.NewCrossOriginProtection()
	g.audit = newAuditor(cfg.Audit, g.log, g.now)
	g.transport = cfg.Transport
	if g.transport == nil {
		g.transport = NewTransport(orDefault(cfg.MaxIdleConnsPerHost, 256), orDefault(cfg.UpstreamTimeout, 30*time.Second))
	}
	g.authed = g.guard.Authenticate(http.HandlerFunc(g.authorize))
	g.own = g.ownRoutes()
	if err := g.start(cfg.Routes); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *Gateway) defaults() {
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.interval == 0 {
		g.interval = 2 * time.Second
	}
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// start installs the first table: routes, or the file's.
func (g *Gateway) start(routes *Table) error {
	if g.file != "" {
		g.seen, _ = os.Stat(g.file) // a later change is seen against this
	}
	if routes == nil {
		var err error
		if routes, err = LoadRoutes(g.file, g.opts); err != nil {
			return err
		}
	}
	g.install(routes)
	return nil
}

// Table returns the route table in use.
func (g *Gateway) Table() *Table { return g.state.Load().table }

// ServeHTTP refuses non-canonical paths, serves the reserved paths, and
// passes everything else through the guard to the rules.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lw := g.begin(w, r)
	defer g.end(lw, r)
	r, reserved, err := precheck(r)
	switch {
	case err != nil:
		g.fail(lw, r, err)
	case reserved:
		g.own.ServeHTTP(lw, r)
	default:
		g.authed.ServeHTTP(lw, r)
	}
}

// authorize applies the rule that decides r to its principal, then
// forwards it.
func (g *Gateway) authorize(w http.ResponseWriter, r *http.Request) {
	st := g.state.Load()
	rule := st.table.match(r)
	p, authed := gatehouse.PrincipalFrom(r.Context())
	if lw, ok := w.(*logWriter); ok {
		lw.rule, lw.who = rule, p
	}
	switch {
	case rule == nil || rule.Access == AccessDeny:
		g.deny(w, r, rule, p, authed)
		return
	case rule.Access == AccessAuthenticated && !authed:
		g.guard.RequireAuth(nil).ServeHTTP(w, r) // answers 401 with the guard's challenge
		return
	case authed && p.Method == gatehouse.MethodSession:
		// A cookie is an ambient credential: a cross-site form or script
		// must not use it for an unsafe request. Keys need no such check.
		if err := g.csrf.Check(r); err != nil {
			problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeForbidden, "Cross-origin request refused."))
			return
		}
	}
	for _, s := range rule.Scopes {
		if !p.Has(s) {
			g.audit.deny(r, p, rule, "insufficient_scope", g.proxies.ClientAddr(r))
			g.guard.Require(s, nil).ServeHTTP(w, r) // answers 403 insufficient_scope
			return
		}
	}
	if lw, ok := w.(*logWriter); ok {
		lw.forwarding = true
	}
	st.forward[rule.index].ServeHTTP(w, r)
	g.headers.cleanTrailers(w.Header()) // the server sends the trailers once this returns
}

// deny answers a request that no rule allows: 401 to an anonymous caller
// (as a protected route would), 403 to an authenticated one.
func (g *Gateway) deny(w http.ResponseWriter, r *http.Request, rule *Rule, p *gatehouse.Principal, authed bool) {
	if !authed {
		g.guard.RequireAuth(nil).ServeHTTP(w, r)
		return
	}
	reason := "no_rule"
	if rule != nil {
		reason = "deny_rule"
	}
	g.audit.deny(r, p, rule, reason, g.proxies.ClientAddr(r))
	problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeForbidden, "No route allows this request."))
}

// fail answers with a problem response for err.
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, err error) {
	problem.Write(w, r, g.log, err)
}

// ownHeaders are the security headers of the responses the gateway
// writes itself (upstream responses keep theirs). A handler on a reserved
// path that set its own (the console's Content-Security-Policy, which
// allows its stylesheet and its forms) keeps it; every other response
// gets the strictest.
func ownHeaders(h http.Header) {
	setDefault(h, "X-Content-Type-Options", "nosniff")
	setDefault(h, "Referrer-Policy", "no-referrer")
	setDefault(h, "X-Frame-Options", "DENY")
	setDefault(h, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	setDefault(h, "Cache-Control", "no-store")
}

// setDefault sets the header k (canonical) to v unless it is set.
func setDefault(h http.Header, k, v string) {
	if _, ok := h[k]; !ok {
		h[k] = []string{v}
	}
}
