package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gatehouse-dev/gatehouse/console"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// ReservedConfig holds what NewReserved needs. Guard and Console are
// required.
type ReservedConfig struct {
	// Guard authenticates requests (API keys and sessions) and checks
	// scopes.
	Guard *guard.Guard
	// Console serves the pages, under its BasePath, which may not be "".
	Console *console.Console
	// SSO serves sign-in through providers (/auth/); nil: those routes
	// answer 404.
	SSO *sso.Service
	// Logger receives internal errors; nil discards them.
	Logger *slog.Logger
}

// NewReserved returns the part of Gatehouse's surface that "gatehouse
// proxy" serves itself on its reserved paths (see reservedTable in
// routes.go): sign-in at /auth/, the console's pages under its BasePath
// (keys, sessions, audit; not the blog demo's posts), and, for any
// credential, BasePath+"/me", the caller's identity. Requests pass through
// the guard's Authenticate and each route's access check as in the
// server; security headers, request ids and the access log are the
// gateway's.
func NewReserved(cfg ReservedConfig) (http.Handler, error) {
	if cfg.Guard == nil || cfg.Console == nil {
		return nil, errors.New("server: Guard and Console are required")
	}
	if cfg.Console.BasePath() == "" {
		return nil, errors.New("server: the console of the reserved routes needs a BasePath")
	}
	s := &Server{guard: cfg.Guard, console: cfg.Console, sso: cfg.SSO, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s.routesFor(s.reservedTable()), nil
}
