package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// healthz serves GET /healthz: the process is up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	s.encode(w, http.StatusOK, map[string]string{"status": "ok", "version": s.version})
}

// readyz serves GET /readyz: the store answers within two seconds.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "readiness check failed", "err", err)
		problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeUnavailable, "store unreachable"))
		return
	}
	s.encode(w, http.StatusOK, map[string]string{"status": "ready"})
}

// meView is the JSON shape of GET /api/me.
type meView struct {
	UserID     int64      `json:"user_id"`
	Email      string     `json:"email,omitempty"`
	Name       string     `json:"name,omitempty"`
	Kind       string     `json:"kind"`
	Role       string     `json:"role"`
	Method     string     `json:"auth_method"`
	KeyID      string     `json:"key_id,omitempty"`
	KeyExpires *time.Time `json:"key_expires,omitempty"`
	Scopes     []string   `json:"scopes"`
}

// me serves GET /api/me: the caller's Principal.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	p, _ := gatehouse.PrincipalFrom(r.Context())
	v := meView{
		UserID: p.UserID, Email: p.Email, Name: p.Name, Kind: string(p.Kind), Role: string(p.Role),
		Method: string(p.Method), KeyID: p.KeyID, Scopes: p.Scopes.Strings(),
	}
	if !p.KeyExpires.IsZero() {
		t := p.KeyExpires.UTC()
		v.KeyExpires = &t
	}
	s.encode(w, http.StatusOK, v)
}
