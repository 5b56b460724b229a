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
	rs := []route{
		{"GET /healthz", Public(), s.healthz},
		{"GET /readyz", Public(), s.readyz},
		{"GET /openapi.json", Public(), s.openapi},

		{"GET /api/me", Auth(), s.me},
	}
	rs = append(rs, s.signInRoutes()...)
	rs = append(rs, []route{
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
	}...)
	return append(rs, s.consoleRoutes()...)
}

// reservedTable is what "gatehouse proxy" serves itself, ahead of its
// route file (see NewReserved): who the caller is, sign-in, and the
// console under its BasePath, without the blog demo's posts pages.
func (s *Server) reservedTable() []route {
	me := route{"GET " + s.console.BasePath() + "/me", Auth(), s.me}
	return append(append([]route{me}, s.signInRoutes()...), s.consoleRoutes()...)
}

// signInRoutes are sign-in through providers (package sso). Public: the
// handlers check the login flow, and logout refuses cross-origin requests.
func (s *Server) signInRoutes() []route {
	return []route{
		{"GET /auth/login", Public(), s.sso.Login},
		{"GET /auth/callback", Public(), s.sso.Callback},
		{"POST /auth/logout", Public(), s.sso.Logout},
		{"GET /auth/signed-out", Public(), s.sso.SignedOut},
		{"POST /auth/backchannel-logout/{provider}", Public(), s.sso.BackchannelLogout},
	}
}

// consoleRoutes are the web console's pages (package console), under its
// BasePath, when the server has one; the posts pages only with the blog.
// Pages need a browser session, and the scope the API route doing the
// same needs; every change is a POST, which the console checks against
// cross-origin requests.
func (s *Server) consoleRoutes() []route {
	c := s.console
	if c == nil {
		return nil
	}
	b := c.BasePath()
	rs := []route{
		{"GET " + b + "/{$}", Public(), c.Home},
		{"GET " + b + "/assets/{file}", Public(), c.Asset},
		{"GET " + b + "/keys", PageScope(gatehouse.ScopeKeys), c.Keys},
		{"POST " + b + "/keys", PageScope(gatehouse.ScopeKeys), c.CreateKey},
		{"GET " + b + "/keys/{id}", PageScope(gatehouse.ScopeKeys), c.Key},
		{"GET " + b + "/keys/{id}/revoke", PageScope(gatehouse.ScopeKeys), c.ConfirmRevoke},
		{"POST " + b + "/keys/{id}/revoke", PageScope(gatehouse.ScopeKeys), c.Revoke},
		{"GET " + b + "/keys/{id}/roll", PageScope(gatehouse.ScopeKeys), c.ConfirmRoll},
		{"POST " + b + "/keys/{id}/roll", PageScope(gatehouse.ScopeKeys), c.Roll},
		{"GET " + b + "/sessions", Page(), c.Sessions},
		{"POST " + b + "/sessions/{id}/end", Page(), c.EndSession},
		{"POST " + b + "/sessions/end-all", Page(), c.EndAllSessions},
	}
	if s.blog != nil {
		rs = append(rs, []route{
			{"GET " + b + "/posts", PageScope(gatehouse.ScopeRead), c.Posts},
			{"GET " + b + "/posts/{id}/edit", PageScope(gatehouse.ScopeWrite), c.EditPost},
			{"POST " + b + "/posts/{id}", PageScope(gatehouse.ScopeWrite), c.UpdatePost},
		}...)
	}
	return append(rs, route{"GET " + b + "/audit", Page(), c.Audit})
}

// routes builds the mux of the server's table.
func (s *Server) routes() http.Handler { return s.routesFor(s.table()) }

// routesFor builds the mux from a table, wrapping each handler in the
// check its access names. The guard's Authenticate runs first for every
// request.
func (s *Server) routesFor(table []route) http.Handler {
	home := "/" // where console pages send anonymous visitors to sign in
	if s.console != nil {
		home = s.console.BasePath() + "/"
	}
	mux := http.NewServeMux()
	for _, rt := range table {
		mux.Handle(rt.pattern, rt.access.wrap(s.guard, rt.pattern, home, http.HandlerFunc(rt.handler)))
	}
	return s.guard.Authenticate(s.problemMux(mux))
}
