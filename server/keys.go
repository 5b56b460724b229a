package server

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/keyring"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// actor returns the caller as the keyring's actor, and the caller's user
// id, whose keys the /api/keys routes manage. A key is limited to handling
// keys whose scopes it holds itself; a session is not.
func (s *Server) actor(r *http.Request) (keyring.Actor, int64) {
	p, _ := gatehouse.PrincipalFrom(r.Context())
	a := keyring.Actor{UserID: p.UserID, Addr: s.proxies.ClientAddr(r)}
	if p.Method != gatehouse.MethodSession {
		a.Limited, a.Scopes = true, p.Scopes
	}
	return a, p.UserID
}

// listKeys serves GET /api/keys: the caller's keys, never their secrets.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	_, owner := s.actor(r)
	keys, err := s.keys.List(r.Context(), owner)
	if err != nil {
		problem.Write(w, r, s.log, err)
		return
	}
	views := make([]keyring.KeyView, len(keys))
	for i, k := range keys {
		views[i] = s.keys.View(k)
	}
	s.encode(w, http.StatusOK, map[string]any{"keys": views})
}

// createKey serves POST /api/keys: a new key, whose secret this response
// is the only one to show.
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	var req keyring.CreateRequest
	if err := s.decode(w, r, &req); err != nil {
		problem.Write(w, r, s.log, err)
		return
	}
	actor, owner := s.actor(r)
	created, err := s.keys.Create(r.Context(), actor, owner, req)
	if err != nil {
		problem.Write(w, r, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/keys/"+created.Key.ID)
	s.encode(w, http.StatusCreated, s.keys.CreatedView(created))
}

// getKey serves GET /api/keys/{id}.
func (s *Server) getKey(w http.ResponseWriter, r *http.Request) {
	_, owner := s.actor(r)
	k, err := s.keys.Get(r.Context(), owner, r.PathValue("id"))
	if err != nil {
		problem.Write(w, r, s.log, err)
		return
	}
	s.encode(w, http.StatusOK, s.keys.View(k))
}

// revokeKey serves POST /api/keys/{id}/revoke: the key stops working at
// once and stays listed, for the audit trail.
func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	actor, owner := s.actor(r)
	k, err := s.keys.Revoke(r.Context(), actor, owner, r.PathValue("id"))
	if err != nil {
		problem.Write(w, r, s.log, err)
		return
	}
	s.encode(w, http.StatusOK, s.keys.View(k))
}

// deleteKey serves DELETE /api/keys/{id}: the key is removed (the audit
// log keeps its history).
func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) {
	actor, owner := s.actor(r)
	if err := s.keys.Delete(r.Context(), actor, owner, r.PathValue("id")); err != nil {
		problem.Write(w, r, s.log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// rollRequest is the optional body of POST /api/keys/{id}/roll.
type rollRequest struct {
	// Grace is how long the old secret stays valid, e.g. "1h"; none by default.
	Grace string `json:"grace,omitempty"`
}

// rollKey serves POST /api/keys/{id}/roll: a new secret for the same key,
// shown once; the old one stays valid for the requested grace period.
func (s *Server) rollKey(w http.ResponseWriter, r *http.Request) {
	var req rollRequest
	if r.ContentLength != 0 {
		if err := s.decode(w, r, &req); err != nil {
			problem.Write(w, r, s.log, err)
			return
		}
	}
	grace, err := parseGrace(req.Grace)
	if err != nil {
		problem.Write(w, r, s.log, err)
		return
	}
	actor, owner := s.actor(r)
	created, err := s.keys.Roll(r.Context(), actor, owner, r.PathValue("id"), grace)
	if err != nil {
		problem.Write(w, r, s.log, err)
		return
	}
	s.encode(w, http.StatusOK, s.keys.CreatedView(created))
}

func parseGrace(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := keyring.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("grace: %w", err)
	}
	return d, nil
}
