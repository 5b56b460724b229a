package sso

import (
	"net/http"

	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
)

// Login serves GET /auth/login?provider=NAME&return_to=/path: it starts an
// authorization code flow and sends the browser to the provider. The
// provider may be left out when only one is configured.
func (s *Service) Login(w http.ResponseWriter, r *http.Request) {
	if s == nil {
		notConfigured(w, r)
		return
	}
	q := r.URL.Query()
	name := q.Get("provider")
	if name == "" && len(s.names) == 1 {
		name = s.names[0]
	}
	p, ok := s.providers[name]
	if !ok {
		s.fail(w, r, name, failure("unknown_provider", gatehouse.Errorf(gatehouse.CodeInvalid, "unknown provider %q", name)))
		return
	}
	now := s.now()
	f := &gatehouse.LoginFlow{
		State: random(), Provider: name, Nonce: random(), Verifier: oauth2.GenerateVerifier(),
		ReturnTo: ReturnTo(q.Get("return_to")), Created: now, Expires: now.Add(LoginLifetime),
	}
	dest, err := p.authURL(r.Context(), f)
	if err == nil {
		err = s.sessions.BeginLogin(r.Context(), w, f)
	}
	if err != nil {
		s.fail(w, r, name, err)
		return
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// Callback serves GET /auth/callback, where providers send the browser
// back: it checks the flow, identifies the person, starts the session and
// lands on a page of our own.
//
// Why a page and not a redirect: the provider's redirect back here is a
// cross-site navigation, so the browser sends only SameSite=Lax cookies
// with it (the login cookie, which is why that one is Lax). The session
// cookie set now is SameSite=Strict; a 302 from here to return_to would
// still belong to the cross-site navigation and would not carry it, so the
// first page would look signed out (or loop back to login). The landing
// page is same-origin: the navigation it starts (a meta refresh, or the
// link for browsers that ignore it; no script) is same-site, and the
// Strict cookie goes with it.
func (s *Service) Callback(w http.ResponseWriter, r *http.Request) {
	if s == nil {
		notConfigured(w, r)
		return
	}
	q := r.URL.Query()
	f, err := s.sessions.FinishLogin(r.Context(), w, r, q.Get("state"))
	if err != nil {
		if c := gatehouse.ErrorCode(err); c == gatehouse.CodeUnauthenticated || c == gatehouse.CodeNotFound || c == gatehouse.CodeInvalid {
			err = failure("state", err)
		}
		s.fail(w, r, "", err)
		return
	}
	p := s.providers[f.Provider]
	if p == nil {
		s.fail(w, r, f.Provider, failure("unknown_provider", gatehouse.Errorf(gatehouse.CodeInvalid, "provider %q is gone", f.Provider)))
		return
	}
	u, id, err := s.complete(r, p, f)
	if err != nil {
		s.fail(w, r, f.Provider, err)
		return
	}
	// Start audits session.start.
	if _, err := s.sessions.Start(r.Context(), w, r, u, session.Meta{Provider: f.Provider, Issuer: id.Issuer, SID: id.SID}); err != nil {
		s.fail(w, r, f.Provider, err)
		return
	}
	if err := page(w, http.StatusOK, "landing", struct{ ReturnTo string }{ReturnTo(f.ReturnTo)}); err != nil {
		s.log.ErrorContext(r.Context(), "sso: landing page", "err", err)
	}
}

// complete checks the provider's answer and returns the signed-in user.
func (s *Service) complete(r *http.Request, p provider, f *gatehouse.LoginFlow) (*gatehouse.User, *identity, error) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		return nil, nil, failure("provider_error", gatehouse.Errorf(gatehouse.CodeInvalid, "provider error %q", e))
	}
	// RFC 9207: a provider that names itself must be the one the flow
	// started with (mix-up attacks).
	if iss := q.Get("iss"); iss != "" && iss != p.config().Issuer {
		return nil, nil, failure("issuer_mismatch", gatehouse.Errorf(gatehouse.CodeInvalid, "iss %q in the callback", iss))
	}
	code := q.Get("code")
	if code == "" {
		return nil, nil, failure("no_code", gatehouse.Errorf(gatehouse.CodeInvalid, "no code in the callback"))
	}
	// Without its PKCE verifier a code would be exchanged as if PKCE were
	// off, and a provider that does not insist would accept an injected
	// code: refuse such a flow before the code leaves.
	if n := len(f.Verifier); n < 43 || n > 128 {
		return nil, nil, failure("pkce", gatehouse.Errorf(gatehouse.CodeInvalid, "the flow has no valid PKCE verifier (%d characters)", n))
	}
	id, err := p.identify(r.Context(), code, f)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.user(r.Context(), p.config(), id)
	return u, id, err
}
