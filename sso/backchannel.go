package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// backchannelEvent is the event a logout token must carry.
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// BackchannelLogout serves POST /auth/backchannel-logout/{provider}
// (OpenID Connect Back-Channel Logout 1.0): it validates the logout token
// and ends the sessions it names, by sid or else by sub. The answer is 200
// when the token was valid (even if no session matched) and 400 otherwise.
func (s *Service) BackchannelLogout(w http.ResponseWriter, r *http.Request) {
	if s == nil {
		notConfigured(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	name := r.PathValue("provider")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	n, err := s.backchannel(r.Context(), name, r.PostFormValue("logout_token"))
	if err != nil {
		s.log.WarnContext(r.Context(), "back-channel logout refused", "provider", name, "err", err)
		s.audit(r, &gatehouse.AuditEvent{Action: gatehouse.ActionSessionEnd, Reason: "backchannel_invalid", Detail: "provider " + name})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_request"}`))
		return
	}
	s.audit(r, &gatehouse.AuditEvent{Action: gatehouse.ActionSessionEnd, Detail: fmt.Sprintf("back-channel from %s, %d sessions ended", name, n)})
	w.WriteHeader(http.StatusOK)
}

// logoutClaims are the claims of a logout token that go-oidc's ID token
// verification does not already check.
type logoutClaims struct {
	JTI    string                     `json:"jti"`
	SID    string                     `json:"sid"`
	Events map[string]json.RawMessage `json:"events"`
	Nonce  *json.RawMessage           `json:"nonce"`
}

// backchannel validates a logout token and ends the sessions it names.
func (s *Service) backchannel(ctx context.Context, name, raw string) (int, error) {
	p, ok := s.providers[name].(*oidcProvider)
	if !ok || raw == "" {
		return 0, errors.New("sso: unknown OpenID provider or no logout token")
	}
	d, err := p.discover(ctx)
	if err != nil {
		return 0, err
	}
	// Signature (pinned algorithms), iss, aud and exp, as for ID tokens.
	tok, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return 0, fmt.Errorf("sso: logout token: %w", err)
	}
	var c logoutClaims
	if err := tok.Claims(&c); err != nil {
		return 0, fmt.Errorf("sso: logout token claims: %w", err)
	}
	if err := checkLogout(&c, tok.Subject, tok.IssuedAt, s.now()); err != nil {
		return 0, err
	}
	if !s.jtis.first(name+" "+c.JTI, tok.Expiry, s.now()) {
		return 0, errors.New("sso: logout token replayed")
	}
	if c.SID != "" {
		return s.store.EndSessionsBySID(ctx, p.c.Issuer, c.SID, s.now())
	}
	u, err := s.store.UserByIdentity(ctx, p.c.Issuer, tok.Subject)
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	return s.store.EndSessionsBySubject(ctx, p.c.Issuer, u.ID, s.now())
}

// checkLogout applies section 2.6 of Back-Channel Logout 1.0 to the claims
// go-oidc does not check.
func checkLogout(c *logoutClaims, sub string, iat, now time.Time) error {
	ev, ok := c.Events[backchannelEvent]
	var obj map[string]any
	switch {
	case !ok || json.Unmarshal(ev, &obj) != nil:
		return errors.New("sso: logout token lacks the back-channel logout event")
	case c.Nonce != nil:
		return errors.New("sso: logout token has a nonce (an ID token?)")
	case c.SID == "" && sub == "":
		return errors.New("sso: logout token has neither sid nor sub")
	case c.JTI == "":
		return errors.New("sso: logout token has no jti")
	case iat.IsZero() || iat.After(now.Add(clockSkew)):
		return errors.New("sso: logout token iat is missing or in the future")
	}
	return nil
}

// jtiCache remembers the ids of logout tokens until they expire, so that
// a token is used once.
type jtiCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

// maxJTIs bounds the cache; beyond it, expired entries are dropped, and if
// none are, the token is refused (fail closed).
const maxJTIs = 10000

func newJTICache() *jtiCache { return &jtiCache{seen: map[string]time.Time{}} }

// first records id and reports whether it was not seen before.
func (c *jtiCache) first(id string, exp, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[id]; ok {
		return false
	}
	if len(c.seen) >= maxJTIs {
		for k, e := range c.seen {
			if e.Before(now) {
				delete(c.seen, k)
			}
		}
		if len(c.seen) >= maxJTIs {
			return false
		}
	}
	c.seen[id] = exp
	return true
}
