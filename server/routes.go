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
	return []route{
		{"GET /healthz", Public(), s.healthz},
		{"GET /readyz", Public(), s.readyz},

		{"GET /api/me", Auth(), s.me},

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
