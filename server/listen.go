package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Listen runs the HTTPS listener (or, behind a trusted TLS-terminating
// proxy, a plain one) and the plain-HTTP redirect listener until its
// context ends, then shuts both down gracefully.
type Listen struct {
	// Addr is the API's address, e.g. ":8443".
	Addr string
	// HTTPAddr is the plain-HTTP redirect listener's address; "" means none.
	HTTPAddr string
	// TLSConfig serves Addr over TLS. Nil serves plain HTTP, which the
	// caller must allow only behind trusted proxies (Proxies.PlainHTTP).
	TLSConfig *tls.Config
	// Handler serves Addr.
	Handler http.Handler
	// Redirect returns the handler of HTTPAddr, given the port Addr was
	// bound to (known only after binding when Addr's port is 0).
	Redirect func(httpsPort string) http.Handler
	// ShutdownTimeout bounds the wait for requests in flight; 0 means 30s.
	ShutdownTimeout time.Duration
	// Logger receives server errors; nil discards them.
	Logger *slog.Logger
	// Ready, when not nil, is called once both listeners are bound.
	Ready func(addr, httpAddr net.Addr)
	// Timeouts cut off slow clients; zero fields take DefaultTimeouts'.
	Timeouts Timeouts

	ln, httpLn net.Listener // bound by Bind, taken over by Run
}

// Timeouts bound how long a connection may take over each part of its life.
type Timeouts struct {
	ReadHeader time.Duration // the request line and headers (slowloris)
	Read       time.Duration // the whole request, body included
	Write      time.Duration // from the end of the headers to the end of the response
	Idle       time.Duration // between requests on a kept-alive connection
}

// DefaultTimeouts returns the timeouts of a Listen whose Timeouts are zero.
func DefaultTimeouts() Timeouts {
	return Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 60 * time.Second, Idle: 120 * time.Second}
}

func (t Timeouts) orDefault() Timeouts {
	pick := func(v, d time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return d
	}
	d := DefaultTimeouts()
	return Timeouts{pick(t.ReadHeader, d.ReadHeader), pick(t.Read, d.Read), pick(t.Write, d.Write), pick(t.Idle, d.Idle)}
}

// MaxHeaderBytes bounds a request's headers; larger ones get 431.
const MaxHeaderBytes = 64 << 10

// newHTTPServer returns an http.Server with timeouts and limits that cut
// off slow clients (slowloris) and oversized headers.
func newHTTPServer(h http.Handler, t Timeouts, log *slog.Logger) *http.Server {
	t = t.orDefault()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Bind binds Addr and, when set, HTTPAddr, so that a server that cannot
// listen fails before it touches anything else (the store, the CA). Run
// binds them itself when Bind was not called. A listener that cannot bind
// is an error naming the address.
func (l *Listen) Bind() error {
	ln, err := net.Listen("tcp", l.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", l.Addr, err)
	}
	if l.HTTPAddr != "" {
		hln, err := net.Listen("tcp", l.HTTPAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s: %w", l.HTTPAddr, err)
		}
		l.httpLn = hln
	}
	l.ln = ln
	return nil
}

// Close releases listeners that Bind bound and Run did not take over.
func (l *Listen) Close() {
	if l.ln != nil {
		l.ln.Close()
	}
	if l.httpLn != nil {
		l.httpLn.Close()
	}
}

// Run serves until ctx ends, then shuts down: it stops accepting, lets
// requests in flight finish within ShutdownTimeout, and returns nil.
func (l *Listen) Run(ctx context.Context) error {
	log := l.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if l.ln == nil {
		if err := l.Bind(); err != nil {
			return err
		}
	}
	ln, hln := l.ln, l.httpLn
	l.ln, l.httpLn = nil, nil // Run owns them now
	servers := []*http.Server{newHTTPServer(l.Handler, l.Timeouts, log)}
	listeners := []net.Listener{ln}
	var httpAddr net.Addr
	if hln != nil {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		servers = append(servers, newHTTPServer(l.Redirect(port), l.Timeouts, log))
		listeners = append(listeners, hln)
		httpAddr = hln.Addr()
	}
	if l.TLSConfig != nil {
		servers[0].TLSConfig = l.TLSConfig
		listeners[0] = tls.NewListener(ln, l.TLSConfig)
	}
	if l.Ready != nil {
		l.Ready(ln.Addr(), httpAddr)
	}
	return l.serve(ctx, servers, listeners)
}

func (l *Listen) serve(ctx context.Context, servers []*http.Server, listeners []net.Listener) error {
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	timeout := l.ShutdownTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	for _, srv := range servers {
		if serr := srv.Shutdown(sctx); serr != nil && err == nil {
			err = fmt.Errorf("shutdown: %w", serr)
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
