package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/keyring"
	"github.com/gatehouse-dev/gatehouse/policy"
	"github.com/gatehouse-dev/gatehouse/server"
	"github.com/gatehouse-dev/gatehouse/session"
)

// cmdServe is "gatehouse serve": run the HTTPS server until ctx ends.
// Everything that can fail without side effects (settings, certificate
// files, the policy, binding the ports) is done before the store, the
// development CA or the demo data are created or changed.
func cmdServe(ctx context.Context, e env, args []string) error {
	c, err := loadServeConfig("serve", e, args)
	if err != nil {
		return err
	}
	log, err := newLogger(e.stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	if err := checkFiles(c); err != nil {
		return err
	}
	authz, err := loadPolicy(c.policyFile, log)
	if err != nil {
		return err
	}
	l := &server.Listen{Addr: c.addr, Logger: log, ShutdownTimeout: c.shutdownTimeout}
	if c.httpAddr != "off" && !c.insecureBehindProxy {
		l.HTTPAddr = c.httpAddr
	}
	if err := l.Bind(); err != nil {
		return err
	}
	defer l.Close()
	a, err := newApp(ctx, e, c, log, authz)
	if err != nil {
		return err
	}
	defer a.store.Close()
	return runServer(ctx, e, c, log, a, l)
}

// app is everything serve runs, wired together.
type app struct {
	store    migrator
	tls      *tlsSource
	guard    *guard.Guard
	sessions *session.Manager
	handler  http.Handler
}

// newApp opens the store and builds the services and the handler.
func newApp(ctx context.Context, e env, c *serveConfig, log *slog.Logger, authz *policy.Authorizer) (_ *app, err error) {
	st, err := c.store.openMigrated(ctx)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	a := &app{store: st}
	if a.tls, err = newTLSSource(ctx, c, st, log); err != nil {
		return nil, err
	}
	a.sessions, err = session.New(session.Config{
		Store: st, Logger: log, Scopes: c.knownScopes(), ClientAddr: c.proxies.ClientAddr,
		IdleTimeout: c.sessionIdle, AbsoluteTimeout: c.sessionLifetime,
	})
	if err != nil {
		return nil, err
	}
	a.guard, err = guard.New(guard.Config{
		Store: st, Sessions: a.sessions, Logger: log, IdleExpiry: c.keyIdleExpiry, ClientAddr: c.proxies.ClientAddr,
	})
	if err != nil {
		return nil, err
	}
	a.handler, err = newHandler(ctx, e, c, log, authz, a)
	return a, err
}

// newHandler builds the services over the store and the server in front
// of them.
func newHandler(ctx context.Context, e env, c *serveConfig, log *slog.Logger, authz *policy.Authorizer, a *app) (http.Handler, error) {
	keys, err := keyring.New(keyring.Config{
		Store: a.store, Scopes: c.knownScopes(), Invalidator: a.guard, IdleExpiry: c.keyIdleExpiry, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	posts, err := blog.NewService(blog.Config{Store: a.store, Authorizer: authz, Logger: log})
	if err != nil {
		return nil, err
	}
	if c.demo {
		if err := seedDemo(ctx, e, a.store, keys); err != nil {
			return nil, err
		}
	}
	signIn, devProvider, err := newSSO(e, c, a.store, a.sessions, a.tls, c.proxies.ClientAddr)
	if err != nil {
		return nil, err
	}
	con, err := newConsole(c, a.store, keys, posts, authz, a.sessions, signIn, log)
	if err != nil {
		return nil, err
	}
	srv, err := server.New(server.Config{
		Store: a.store, Guard: a.guard, Keys: keys, Blog: blog.NewAPI(posts, log), SSO: signIn, Console: con,
		Logger: log, Proxies: c.proxies, Version: versionString(),
	})
	if err != nil {
		return nil, err
	}
	return withDev(srv, devProvider), nil
}

// runServer serves on the bound listeners, with the guard's and the
// session manager's background work and the certificate reloader, until
// ctx ends; then it drains requests and flushes pending writes.
func runServer(ctx context.Context, e env, c *serveConfig, log *slog.Logger, a *app, l *server.Listen) error {
	l.Handler, l.TLSConfig = a.handler, a.tls.config
	l.Ready = func(addr, h net.Addr) { banner(e, c, a.tls, addr, h) }
	if c.insecureBehindProxy {
		l.Handler = c.proxies.PlainHTTP(a.handler)
	}
	l.Redirect = func(port string) http.Handler { return server.RedirectHandler(port, a.tls.httpHandler) }
	// The background work outlives the listeners, so that uses made by
	// requests still draining are flushed.
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	background(&wg, bg, log, "guard", a.guard.Run)
	background(&wg, bg, log, "session manager", a.sessions.Run)
	// Subscribed before the banner, so a SIGHUP sent once it is printed is
	// a reload, not the default action (exit).
	hup := sighup(bg)
	wg.Go(func() { a.tls.run(bg, hup) })
	err := l.Run(ctx)
	stopBackground()
	wg.Wait()
	log.Info("stopped")
	return err
}

// background runs fn until ctx ends, logging how it failed if it did.
func background(wg *sync.WaitGroup, ctx context.Context, log *slog.Logger, name string, fn func(context.Context) error) {
	wg.Go(func() {
		if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error(name+" stopped", "err", err)
		}
	})
}

// sighup returns a channel that receives on every SIGHUP until ctx ends.
func sighup(ctx context.Context) <-chan os.Signal {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() { <-ctx.Done(); signal.Stop(ch) }()
	return ch
}

// banner prints where the server listens and, with the development CA, a
// curl command that works as printed.
func banner(e env, c *serveConfig, t *tlsSource, a, h net.Addr) {
	scheme := "https"
	if t.config == nil {
		scheme = "http"
	}
	fmt.Fprintf(e.stdout, "gatehouse %s listening on %s://%s\n", versionString(), scheme, a)
	if h != nil {
		fmt.Fprintf(e.stdout, "plain HTTP on http://%s redirects to HTTPS\n", h)
	}
	if t.caPath != "" {
		_, port, _ := net.SplitHostPort(a.String())
		fmt.Fprintf(e.stdout, "development CA: %s\ntry: curl --cacert %s https://localhost:%s/healthz\n", t.caPath, t.caPath, port)
	}
}
