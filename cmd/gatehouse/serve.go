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
	"github.com/gatehouse-dev/gatehouse/server"
	"github.com/gatehouse-dev/gatehouse/session"
)

// cmdServe is "gatehouse serve": run the HTTPS server until ctx ends.
func cmdServe(ctx context.Context, e env, args []string) error {
	c, err := loadServeConfig("serve", e, args)
	if err != nil {
		return err
	}
	log, err := newLogger(e.stderr, c.logFormat, c.logLevel)
	if err != nil {
		return err
	}
	if err := checkFiles(c); err != nil { // before the store is created or touched
		return err
	}
	authz, err := loadPolicy(c.policyFile, log)
	if err != nil {
		return err
	}
	st, err := c.store.openMigrated(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	tlsSrc, err := newTLSSource(ctx, c, st, log)
	if err != nil {
		return err
	}
	sessions, err := session.New(session.Config{Store: st, Logger: log, Scopes: c.knownScopes(), ClientAddr: c.proxies.ClientAddr})
	if err != nil {
		return err
	}
	g, err := guard.New(guard.Config{
		Store: st, Sessions: sessions, Logger: log, IdleExpiry: c.keyIdleExpiry, ClientAddr: c.proxies.ClientAddr,
	})
	if err != nil {
		return err
	}
	keys, err := keyring.New(keyring.Config{
		Store: st, Scopes: c.knownScopes(), Invalidator: g, IdleExpiry: c.keyIdleExpiry, Logger: log,
	})
	if err != nil {
		return err
	}
	posts, err := blog.NewService(blog.Config{Store: st, Authorizer: authz, Logger: log})
	if err != nil {
		return err
	}
	if c.demo {
		if err := seedDemo(ctx, e, st, keys); err != nil {
			return err
		}
	}
	signIn, devProvider, err := newSSO(e, c, st, sessions, tlsSrc, c.proxies.ClientAddr)
	if err != nil {
		return err
	}
	con, err := newConsole(c, st, keys, posts, authz, sessions, signIn, log)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{
		Store: st, Guard: g, Keys: keys, Blog: blog.NewAPI(posts, log), SSO: signIn, Console: con, Logger: log, Proxies: c.proxies, Version: versionString(),
	})
	if err != nil {
		return err
	}
	return runServer(ctx, e, c, log, g, sessions, tlsSrc, withDev(srv, devProvider))
}

// runServer runs the listeners, the guard's background work and the
// certificate reloader until ctx ends; then it drains requests and
// flushes the guard's pending writes.
func runServer(ctx context.Context, e env, c *serveConfig, log *slog.Logger, g *guard.Guard, sessions *session.Manager, t *tlsSource, srv http.Handler) error {
	l := server.Listen{
		Addr: c.addr, Handler: srv, Logger: log, ShutdownTimeout: c.shutdownTimeout,
		TLSConfig: t.config,
		Ready:     func(a, h net.Addr) { banner(e, c, t, a, h) },
	}
	if c.insecureBehindProxy {
		l.Handler = c.proxies.PlainHTTP(srv)
	}
	if c.httpAddr != "off" && !c.insecureBehindProxy {
		l.HTTPAddr = c.httpAddr
		l.Redirect = func(port string) http.Handler { return server.RedirectHandler(port, t.httpHandler) }
	}
	// The guard and the reloader outlive the listeners, so that uses made
	// by requests still draining are flushed.
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := g.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("guard stopped", "err", err)
		}
	})
	wg.Go(func() {
		if err := sessions.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("session manager stopped", "err", err)
		}
	})
	wg.Go(func() { t.run(bg, sighup(bg)) })
	err := l.Run(ctx)
	stopBackground()
	wg.Wait()
	log.Info("stopped")
	return err
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
