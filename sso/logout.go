package sso

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// Logout serves POST /auth/logout: it ends the request's session on the
// server, clears the cookie and sends the browser to the provider's
// end_session_endpoint when it has one (RP-Initiated Logout), else to the
// signed-out page. Cross-origin requests are refused (CSRF): a forged
// logout is a nuisance, and the check costs nothing.
func (s *Service) Logout(w http.ResponseWriter, r *http.Request) {
	if s == nil {
		notConfigured(w, r)
		return
	}
	if err := s.csrf.Check(r); err != nil {
		problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeForbidden, "Cross-origin requests cannot sign out."))
		return
	}
	dest := s.public + "/auth/signed-out"
	if p, ok := gatehouse.PrincipalFrom(r.Context()); ok && p.Method == gatehouse.MethodSession {
		if end := s.endSessionURL(r, p); end != "" {
			dest = end
		}
	}
	// End audits session.end.
	if err := s.sessions.End(r.Context(), w, r); err != nil {
		s.log.ErrorContext(r.Context(), "sso: logout", "err", err)
		problem.Write(w, r, s.log, fmt.Errorf("sso: logout: %w", err))
		return
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// logoutDiscoveryTimeout bounds how long a logout waits for the provider's
// discovery document, when this instance has not read it yet.
const logoutDiscoveryTimeout = 3 * time.Second

// endSessionURL returns the RP-initiated logout URL of the provider the
// principal's session came from, or "".
func (s *Service) endSessionURL(r *http.Request, p *gatehouse.Principal) string {
	list, err := s.sessions.List(r.Context(), p.UserID)
	if err != nil {
		s.log.WarnContext(r.Context(), "sso: logout: list sessions", "err", err)
		return ""
	}
	for _, sess := range list {
		if sess.ID == p.SessionID {
			prov := s.providers[sess.Provider]
			if prov == nil {
				return ""
			}
			// Discovery may need the network after a restart; a provider
			// that does not answer must not hold up ending the session.
			ctx, cancel := context.WithTimeout(r.Context(), logoutDiscoveryTimeout)
			end, err := prov.endSessionURL(ctx, s.public+"/auth/signed-out")
			cancel()
			if err != nil {
				s.log.WarnContext(r.Context(), "sso: logout: no provider logout, the session ends here only",
					"provider", sess.Provider, "err", err)
			}
			return end
		}
	}
	return ""
}

// SignedOut serves GET /auth/signed-out: the page logout ends on.
func (s *Service) SignedOut(w http.ResponseWriter, r *http.Request) {
	if err := page(w, http.StatusOK, "signed-out", nil); err != nil && s != nil {
		s.log.ErrorContext(r.Context(), "sso: signed-out page", "err", err)
	}
}

// notConfigured answers the /auth/ routes of a server without providers.
func notConfigured(w http.ResponseWriter, r *http.Request) {
	problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeNotFound, "Sign-in is not configured on this server."))
}
