// Package server is Gatehouse's HTTP surface: the routes, their handlers,
// and the middleware every response passes through (security headers,
// request ids, access logs, strict path checks, problem+json errors).
//
// The listeners, TLS and graceful shutdown are in listen.go; routes.go lists
// every route with what it requires.
package server

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/console"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/keyring"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// Config holds what a Server needs. Store, Guard and Keys are required.
type Config struct {
	// Store is the store the server reads users from and pings for /readyz.
	Store gatehouse.Store
	// Guard authenticates requests and checks scopes.
	Guard *guard.Guard
	// Keys manages API keys.
	Keys *keyring.Service
	// Blog serves the demo blog API.
	Blog *blog.API
	// Console serves the web console's pages; nil leaves them out.
	Console *console.Console
	// SSO serves sign-in through providers (/auth/); nil: those routes
	// answer 404.
	SSO *sso.Service
	// Logger receives the access log and errors; nil discards them.
	Logger *slog.Logger
	// Proxies decides which peers' X-Forwarded-* headers are believed;
	// the zero value trusts nobody.
	Proxies Proxies
	// Version is reported by /healthz.
	Version string
	// MaxBodyBytes bounds request bodies; 0 means 1 MiB.
	MaxBodyBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server serves Gatehouse's HTTP API.
type Server struct {
	store   gatehouse.Store
	guard   *guard.Guard
	keys    *keyring.Service
	blog    *blog.API
	console *console.Console
	sso     *sso.Service
	log     *slog.Logger
	proxies Proxies
	version string
	maxBody int64
	now     func() time.Time
	handler http.Handler
}

// New validates cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Guard == nil || cfg.Keys == nil || cfg.Blog == nil {
		return nil, errors.New("server: Store, Guard, Keys and Blog are required")
	}
	s := &Server{
		store: cfg.Store, guard: cfg.Guard, keys: cfg.Keys, blog: cfg.Blog, console: cfg.Console, sso: cfg.SSO, log: cfg.Logger,
		proxies: cfg.Proxies, version: cfg.Version, maxBody: cfg.MaxBodyBytes, now: cfg.Now,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxBody == 0 {
		s.maxBody = 1 << 20
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.handler = s.middleware(s.routes())
	return s, nil
}

// ServeHTTP serves one request through the middleware and the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}
