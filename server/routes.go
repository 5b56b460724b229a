package server

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
)

// routes returns the whole HTTP surface. Each line shows what the route
// requires; anything not listed is a problem+json 404, and anything under
// /api/ that is not listed needs authentication first, so that anonymous
// callers cannot tell real routes from missing ones.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	g := s.guard

	// Public.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)

	// Authenticated, no particular scope: who am I.
	mux.Handle("GET /api/me", g.RequireAuth(http.HandlerFunc(s.me)))

	// API keys: the caller's own keys; a key needs the keys scope.
	mux.Handle("GET /api/keys", g.Require(gatehouse.ScopeKeys, http.HandlerFunc(s.listKeys)))
	mux.Handle("POST /api/keys", g.Require(gatehouse.ScopeKeys, http.HandlerFunc(s.createKey)))
	mux.Handle("GET /api/keys/{id}", g.Require(gatehouse.ScopeKeys, http.HandlerFunc(s.getKey)))
	mux.Handle("DELETE /api/keys/{id}", g.Require(gatehouse.ScopeKeys, http.HandlerFunc(s.deleteKey)))
	mux.Handle("POST /api/keys/{id}/revoke", g.Require(gatehouse.ScopeKeys, http.HandlerFunc(s.revokeKey)))
	mux.Handle("POST /api/keys/{id}/roll", g.Require(gatehouse.ScopeKeys, http.HandlerFunc(s.rollKey)))

	// Unknown paths: 401 under /api/ for anonymous callers, else 404.
	mux.Handle("/api/", g.RequireAuth(http.HandlerFunc(s.notFound)))
	mux.HandleFunc("/", s.notFound)
	return s.problemMux(mux)
}
