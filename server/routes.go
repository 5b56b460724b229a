package server

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
)

// table returns the whole HTTP surface, one line a route, each with what it
// requires. Public routes need nothing; Auth needs an authenticated caller;
// RW needs read for safe methods and write for the others; Scope names the
// scope needed. A route that is not listed does not exist: anonymous
// callers get 401 under /api/ (real routes and missing ones look alike) and
// 404 elsewhere.
func (s *Server) table() []route {
	return append([]route{
		{"GET /healthz", Public(), s.healthz},
		{"GET /readyz", Public(), s.readyz},
		{"GET /openapi.json", Public(), s.openapi},

		{"GET /api/me", Auth(), s.me},

		// Sign-in through providers (package sso). Public: the handlers
		// check the login flow, and logout refuses cross-origin requests.
		{"GET /auth/login", Public(), s.sso.Login},
		{"GET /auth/callback", Public(), s.sso.Callback},
		{"POST /auth/logout", Public(), s.sso.Logout},
		{"GET /auth/signed-out", Public(), s.sso.SignedOut},
		{"POST /auth/backchannel-logout/{provider}", Public(), s.sso.BackchannelLogout},

		{"GET /api/keys", Scope(gatehouse.ScopeKeys), s.listKeys},
		{"POST /api/keys", Scope(gatehouse.ScopeKeys), s.createKey},
		{"GET /api/keys/{id}", Scope(gatehouse.ScopeKeys), s.getKey},
		{"DELETE /api/keys/{id}", Scope(gatehouse.ScopeKeys), s.deleteKey},
		{"POST /api/keys/{id}/revoke", Scope(gatehouse.ScopeKeys), s.revokeKey},
		{"POST /api/keys/{id}/roll", Scope(gatehouse.ScopeKeys), s.rollKey},

		// The blog: the scope check here, then the Cedar policy in blog.
		{"GET /public/posts", Public(), s.blog.PublicList},
		{"GET /public/posts/{id}", Public(), s.blog.PublicGet},
		{"GET /api/posts", RW(), s.blog.List},
		{"POST /api/posts", RW(), s.blog.Create},
		{"GET /api/posts/{id}", RW(), s.blog.Get},
		{"PATCH /api/posts/{id}", RW(), s.blog.Update},
		{"DELETE /api/posts/{id}", RW(), s.blog.Delete},
		{"POST /api/posts/{id}/publish", RW(), s.blog.Publish},
	}, s.consoleRoutes()...)
}

// consoleRoutes are the web console's pages (package console), when the
// server has one. Pages need a browser session, and the scope the API
// route doing the same needs; every change is a POST, which the console
// checks against cross-origin requests.
func (s *Server) consoleRoutes() []route {
	c := s.console
	if c == nil {
		return nil
	}
	return []route{
		{"GET /{$}", Public(), c.Home},
		{"GET /assets/{file}", Public(), c.Asset},
		{"GET /keys", PageScope(gatehouse.ScopeKeys), c.Keys},
		{"POST /keys", PageScope(gatehouse.ScopeKeys), c.CreateKey},
		{"GET /keys/{id}", PageScope(gatehouse.ScopeKeys), c.Key},
		{"GET /keys/{id}/revoke", PageScope(gatehouse.ScopeKeys), c.ConfirmRevoke},
		{"POST /keys/{id}/revoke", PageScope(gatehouse.ScopeKeys), c.Revoke},
		{"GET /keys/{id}/roll", PageScope(gatehouse.ScopeKeys), c.ConfirmRoll},
		{"POST /keys/{id}/roll", PageScope(gatehouse.ScopeKeys), c.Roll},
		{"GET /sessions", Page(), c.Sessions},
		{"POST /sessions/{id}/end", Page(), c.EndSession},
		{"POST /sessions/end-all", Page(), c.EndAllSessions},
		{"GET /posts", PageScope(gatehouse.ScopeRead), c.Posts},
		{"GET /posts/{id}/edit", PageScope(gatehouse.ScopeWrite), c.EditPost},
		{"POST /posts/{id}", PageScope(gatehouse.ScopeWrite), c.UpdatePost},
		{"GET /audit", Page(), c.Audit},
	}
}

// routes builds the mux from the table, wrapping each handler in the check
// its access names. The guard's Authenticate runs first for every request.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.table() {
		mux.Handle(rt.pattern, rt.access.wrap(s.guard, rt.pattern, http.HandlerFunc(rt.handler)))
	}
	return s.guard.Authenticate(s.problemMux(mux))
}
