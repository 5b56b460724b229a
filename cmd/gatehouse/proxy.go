package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/console"
	"github.com/gatehouse-dev/gatehouse/gateway"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/keyring"
	"github.com/gatehouse-dev/gatehouse/server"
	"github.com/gatehouse-dev/gatehouse/session"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// proxyConfig is every setting of "gatehouse proxy": serve's TLS, store,
// proxy, sign-in (--provider, --dev, --public-url), session and logging
// settings (--policy and --demo apply to serve only), and the gateway's
// own.
type proxyConfig struct {
	serveConfig
	upstream          string
	routesFile        string
	identityHeaders   listFlag
	assertion         string
	assertionHeader   string
	assertionLifetime time.Duration
	upstreamTimeout   time.Duration
	upstreamIdle      int
	requestTimeout    time.Duration

	headers gateway.Headers // parsed from identityHeaders by validate
}

// register adds serve's settings and the gateway's to fs.
func (c *proxyConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	c.serveConfig.register(fs, getenv)
	fs.StringVar(&c.upstream, "upstream", "", "`URL` of the upstream API (http:// or https://, no path); routes name it \"default\"")
	fs.StringVar(&c.routesFile, "routes", "", "route `file` (YAML): which paths are public, authenticated or need scopes; reloaded when it changes and on SIGHUP")
	fs.Var(&c.identityHeaders, "identity-header", "`field=Header-Name` renames an identity header (fields: user-id, email, role, auth-method, key-id, scopes; repeatable)")
	fs.StringVar(&c.assertion, "assertion", "off", "sign an identity assertion (JWT) for the upstream: off, EdDSA or ES256; keys at /.well-known/jwks.json, kept in the database: replicas sharing it sign with and publish the same keys, across restarts")
	fs.StringVar(&c.assertionHeader, "assertion-header", gateway.DefaultAssertionHeader, "request `header` that carries the assertion")
	fs.DurationVar(&c.assertionLifetime, "assertion-lifetime", 5*time.Minute, "how long an assertion is valid")
	fs.DurationVar(&c.upstreamTimeout, "upstream-timeout", 30*time.Second, "how long to wait for the upstream's response headers before answering 504")
	fs.IntVar(&c.upstreamIdle, "upstream-idle-conns", 256, "idle connections kept open to each upstream; match the expected concurrency")
	fs.DurationVar(&c.requestTimeout, "request-timeout", 5*time.Minute, "the longest a request body may take to arrive, and a response to be sent (WebSockets excepted)")
}

// validate checks serve's settings and the gateway's.
func (c *proxyConfig) validate() error {
	errs := []error{c.serveConfig.validate()}
	check := func(name string, ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("invalid setting %s: "+format, append([]any{name}, args...)...))
		}
	}
	check("routes", c.routesFile != "", "name the route file")
	check("assertion", c.assertion == "off" || c.assertion == gateway.AlgEdDSA || c.assertion == gateway.AlgES256, "want off, EdDSA or ES256")
	check("assertion-lifetime", c.assertionLifetime > 0 && c.assertionLifetime <= time.Hour, "want a positive duration of at most 1h")
	check("upstream-timeout", c.upstreamTimeout > 0, "must be positive")
	check("upstream-idle-conns", c.upstreamIdle > 0, "must be positive")
	check("request-timeout", c.requestTimeout > 0, "must be positive")
	var err error
	c.headers, err = parseIdentityHeaders(c.identityHeaders)
	check("identity-header", err == nil, "%v", err)
	return errors.Join(errs...)
}

// parseIdentityHeaders reads "field=Header-Name" settings.
func parseIdentityHeaders(list []string) (gateway.Headers, error) {
	var h gateway.Headers
	fields := map[string]*string{
		"user-id": &h.UserID, "email": &h.Email, "role": &h.Role,
		"auth-method": &h.AuthMethod, "key-id": &h.KeyID, "scopes": &h.Scopes,
	}
	for _, s := range list {
		field, name, ok := strings.Cut(s, "=")
		p := fields[strings.TrimSpace(field)]
		if !ok || p == nil || strings.TrimSpace(name) == "" {
			return h, fmt.Errorf("%q: want field=Header-Name with a field among user-id, email, role, auth-method, key-id, scopes", s)
		}
		*p = strings.TrimSpace(name)
	}
	return h, nil
}

// routeOptions are what the route file is checked against.
func (c *proxyConfig) routeOptions() gateway.ParseOptions {
	return gateway.ParseOptions{DefaultUpstream: c.upstream, KnownScopes: c.knownScopes()}
}

// loadProxyConfig parses and validates the proxy settings.
func loadProxyConfig(name string, e env, args []string) (*proxyConfig, error) {
	c := &proxyConfig{}
	fs := newFlagSet(name, e.stderr)
	c.register(fs, e.getenv)
	if err := parseSettings(fs, args, e.getenv); err != nil {
		return nil, err
	}
	return c, c.validate()
}

// cmdProxy is "gatehouse proxy": put an upstream API behind Gatehouse
// until ctx ends.
func cmdProxy(ctx context.Context, e env, args []string) error {
	c, err := loadProxyConfig("proxy", e, args)
	if err != nil {
		return err
	}
	log, err := newLogger(e.stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	if err := checkFiles(&c.serveConfig); err != nil {
		return err
	}
	routes, err := gateway.LoadRoutes(c.routesFile, c.routeOptions()) // before the store is touched
	if err != nil {
		return err
	}
	st, err := c.store.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	tlsSrc, err := newTLSSource(ctx, &c.serveConfig, st, log)
	if err != nil {
		return err
	}
	p, err := buildProxy(ctx, e, c, st, tlsSrc, routes, log)
	if err != nil {
		return err
	}
	return runProxy(ctx, e, c, log, p)
}

// buildProxy builds the gateway and what it needs over the store: the
// session manager, the guard (API keys and session cookies), sign-in and
// the console.
func buildProxy(ctx context.Context, e env, c *proxyConfig, st gatehouse.Store, t *tlsSource, routes *gateway.Table, log *slog.Logger) (proxyParts, error) {
	p := proxyParts{tls: t}
	var err error
	p.sessions, err = session.New(session.Config{
		Store: st, Logger: log, Scopes: c.knownScopes(), ClientAddr: c.proxies.ClientAddr,
		IdleTimeout: c.sessionIdle, AbsoluteTimeout: c.sessionLifetime,
	})
	if err != nil {
		return p, err
	}
	p.guard, err = guard.New(guard.Config{
		Store: st, Sessions: p.sessions, Logger: log, IdleExpiry: c.keyIdleExpiry, ClientAddr: c.proxies.ClientAddr,
	})
	if err != nil {
		return p, err
	}
	reserved, dev, err := newReserved(e, c, st, p.guard, p.sessions, t, log)
	if err != nil {
		return p, err
	}
	if p.gateway, err = newGateway(ctx, c, st, p.guard, routes, reserved, log); err != nil {
		return p, err
	}
	p.handler = withDev(p.gateway, dev)
	return p, nil
}

// consoleBase is where the gateway serves the console: under its own
// reserved prefix, which no route file may name.
const consoleBase = "/.gatehouse"

// newReserved builds what the gateway serves on its reserved paths that it
// does not serve itself: sign-in at /auth/ and the console (keys,
// sessions, audit) under consoleBase. With --dev it also returns the
// development provider, which withDev mounts at /dev-oidc/.
func newReserved(e env, c *proxyConfig, st gatehouse.Store, g *guard.Guard, sessions *session.Manager,
	t *tlsSource, log *slog.Logger) (http.Handler, http.Handler, error) {
	keys, err := keyring.New(keyring.Config{
		Store: st, Scopes: c.knownScopes(), Invalidator: g, IdleExpiry: c.keyIdleExpiry, Logger: log,
	})
	if err != nil {
		return nil, nil, err
	}
	signIn, dev, err := newSSO(e, &c.serveConfig, st, sessions, t, c.proxies.ClientAddr)
	if err != nil {
		return nil, nil, err
	}
	con, err := console.New(console.Config{
		Keys: keys, Audit: st, Users: st, Sessions: sessions, Providers: gatewayProviders(signIn),
		BasePath: consoleBase, SamplePath: consoleBase + "/me", ClientAddr: c.proxies.ClientAddr, Logger: log,
	})
	if err != nil {
		return nil, nil, err
	}
	h, err := server.NewReserved(server.ReservedConfig{Guard: g, Console: con, SSO: signIn, Logger: log})
	return h, dev, err
}

// gatewayProviders are the console's sign-in buttons: after sign-in the
// browser comes back to the console, not to the upstream's "/".
func gatewayProviders(signIn *sso.Service) []console.Provider {
	if signIn == nil {
		return nil
	}
	ps := console.ProvidersFor(signIn.Providers())
	for i := range ps {
		ps[i].LoginURL += "&return_to=" + url.QueryEscape(consoleBase+"/")
	}
	return ps
}

// newGateway builds the gateway from the settings. The assertion keys
// are kept in the store, so that every replica and restart shares them.
func newGateway(ctx context.Context, c *proxyConfig, st gatehouse.Store, g *guard.Guard, routes *gateway.Table, reserved http.Handler, log *slog.Logger) (*gateway.Gateway, error) {
	cfg := gateway.Config{
		Guard: g, RoutesFile: c.routesFile, Routes: routes, ParseOptions: c.routeOptions(), Proxies: c.proxies,
		Headers: c.headers, Audit: st, Ready: st.Ping, UpstreamTimeout: c.upstreamTimeout,
		MaxIdleConnsPerHost: c.upstreamIdle, Reserved: reserved, Logger: log, Version: versionString(),
	}
	if c.assertion != "off" {
		var err error
		if cfg.Assertions, err = gateway.NewAssertions(ctx, gateway.AssertionConfig{
			Keys: st, Header: c.assertionHeader, Algorithm: c.assertion, Lifetime: c.assertionLifetime, Logger: log,
		}); err != nil {
			return nil, err
		}
	}
	return gateway.New(cfg)
}

// proxyParts are what runProxy runs.
type proxyParts struct {
	guard    *guard.Guard
	sessions *session.Manager
	tls      *tlsSource
	gateway  *gateway.Gateway
	handler  http.Handler // the gateway, with the development provider in front of it under --dev
}

// runProxy runs the listeners, the guard, the session manager, the
// certificate and route reloaders until ctx ends, then drains requests and
// flushes the guard's and the session manager's pending writes.
func runProxy(ctx context.Context, e env, c *proxyConfig, log *slog.Logger, p proxyParts) error {
	t, gw := p.tls, p.gateway
	l := server.Listen{
		Addr: c.addr, Handler: p.handler, Logger: log, ShutdownTimeout: c.shutdownTimeout, TLSConfig: t.config,
		Timeouts: server.Timeouts{Read: c.requestTimeout, Write: c.requestTimeout},
		Ready:    func(a, h net.Addr) { proxyBanner(e, c, t, a, h) },
	}
	if c.insecureBehindProxy {
		l.Handler = c.proxies.PlainHTTP(p.handler)
	}
	if c.httpAddr != "off" && !c.insecureBehindProxy {
		l.HTTPAddr = c.httpAddr
		l.Redirect = func(port string) http.Handler { return server.RedirectHandler(port, t.httpHandler) }
	}
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	background(&wg, bg, log, "guard", p.guard.Run)
	background(&wg, bg, log, "session manager", p.sessions.Run)
	// Subscribed before the banner, as serve does, so a SIGHUP sent once it
	// is printed is a reload, not the default action (exit).
	certHUP, routesHUP := sighup(bg), sighup(bg)
	wg.Go(func() { t.run(bg, certHUP) })
	wg.Go(func() { gw.Run(bg) })
	wg.Go(func() { reloadOnHUP(bg, gw, routesHUP) })
	err := l.Run(ctx)
	stopBackground()
	wg.Wait()
	log.Info("stopped")
	return err
}

// reloadOnHUP reloads the route file on every SIGHUP received on hup
// until ctx ends.
func reloadOnHUP(ctx context.Context, gw *gateway.Gateway, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			gw.Reload() // logged inside; a bad file keeps the routes in use
		}
	}
}

// proxyBanner prints where the gateway listens and what it forwards to.
func proxyBanner(e env, c *proxyConfig, t *tlsSource, a, h net.Addr) {
	scheme := "https"
	if t.config == nil {
		scheme = "http"
	}
	fmt.Fprintf(e.stdout, "gatehouse %s proxy listening on %s://%s\n", versionString(), scheme, a)
	if c.upstream != "" {
		fmt.Fprintf(e.stdout, "forwarding to %s by the rules in %s\n", c.upstream, c.routesFile)
	}
	fmt.Fprintf(e.stdout, "console (keys, sessions, audit) at %s://%s%s/\n", scheme, a, consoleBase)
	if h != nil {
		fmt.Fprintf(e.stdout, "plain HTTP on http://%s redirects to HTTPS\n", h)
	}
	if t.caPath != "" {
		_, port, _ := net.SplitHostPort(a.String())
		fmt.Fprintf(e.stdout, "development CA: %s\ntry: curl --cacert %s https://localhost:%s%s\n", t.caPath, t.caPath, port, gateway.HealthPath)
	}
}
