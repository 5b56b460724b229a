package session

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// The reasons a session is refused, for the debug log. The client is told
// only that it must sign in again.
const (
	reasonMalformed = "malformed token"
	reasonUnknown   = "unknown session"
	reasonEnded     = "ended"
	reasonExpired   = "past its absolute timeout"
	reasonIdle      = "past its idle timeout"
	reasonNoUser    = "user not found"
	reasonDisabled  = "user disabled"
	reasonService   = "user is a service account"
)

// errRefused is what every refused session gets: one message whatever the
// reason. Authenticate turns it into "no session"; Start and End never
// show it.
var errRefused = gatehouse.Errorf(gatehouse.CodeUnauthenticated, "Your session has ended or expired: sign in again.")

// Authenticate implements guard.Sessions. It returns the principal of the
// request's session cookie and true. It returns false without an error
// when the request has no session cookie, and also when the cookie names a
// session that is unknown, ended or expired, or whose user is disabled or
// gone: such a cookie is no credential, the request goes on anonymously,
// and routes that need a principal refuse it with 401. (Were it an error,
// a browser holding a stale cookie could not even reach the sign-in page
// until the cookie expired.) It returns an error for:
//   - a cookie sent twice (CodeInvalid);
//   - an unsafe request carrying the cookie that came from another site, or
//     that does not say where it came from (CodeForbidden);
//   - a store that cannot be reached (CodeUnavailable).
//
// The principal has Method MethodSession, the session's public id, and
// the scopes among Config.Scopes that the user's role allows.
func (m *Manager) Authenticate(r *http.Request) (*gatehouse.Principal, bool, error) {
	token, err := presented(r)
	if err != nil || token == "" {
		return nil, false, err
	}
	if err := m.checkOrigin(r); err != nil {
		return nil, false, err
	}
	ctx := r.Context()
	sess, u, err := m.check(ctx, token)
	if errors.Is(err, errRefused) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	m.usage.Record(sess.ID, m.clock(), m.clientAddr(r))
	return &gatehouse.Principal{
		UserID: u.ID, Email: u.Email, Name: u.Name, Kind: u.Kind, Role: u.Role,
		Method: gatehouse.MethodSession, SessionID: sess.ID, Scopes: m.scopes[u.Role],
	}, true, nil
}

// checkOrigin refuses a cross-site unsafe request that carries the session
// cookie. http.CrossOriginProtection lets through requests that carry
// neither Sec-Fetch-Site nor Origin, taking them for non-browser clients;
// a request with the cookie is a browser's, and every browser that
// supports SameSite sends one of the two on an unsafe request, so their
// absence is refused too.
func (m *Manager) checkOrigin(r *http.Request) error {
	if err := m.csrf.Check(r); err != nil {
		return gatehouse.Errorf(gatehouse.CodeForbidden, "Cross-site requests with a session cookie are refused.")
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	if r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Origin") == "" {
		return gatehouse.Errorf(gatehouse.CodeForbidden, "A request with a session cookie must say where it comes from (Origin).")
	}
	return nil
}

// check returns the live session that token names and its user, or an
// error: errRefused (wrapped) or the store's.
func (m *Manager) check(ctx context.Context, token string) (*gatehouse.Session, *gatehouse.User, error) {
	if !wellFormed(token) {
		return nil, nil, m.refuse(ctx, reasonMalformed, nil)
	}
	h := hashToken(token)
	sess, err := m.store.SessionByHash(ctx, h)
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return nil, nil, m.refuse(ctx, reasonUnknown, nil)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session: authenticate: %w", err)
	}
	// The store found the row by this hash; comparing again costs nothing
	// and does not trust a backend's comparison of binary keys.
	if subtle.ConstantTimeCompare(h[:], sess.Hash[:]) != 1 {
		return nil, nil, m.refuse(ctx, reasonUnknown, sess)
	}
	if reason := m.status(sess, m.clock()); reason != "" {
		return nil, nil, m.refuse(ctx, reason, sess)
	}
	u, err := m.user(ctx, sess)
	if err != nil {
		return nil, nil, err
	}
	return sess, u, nil
}

// status returns why sess no longer authenticates at now, or "".
func (m *Manager) status(sess *gatehouse.Session, now time.Time) string {
	switch {
	case !sess.Ended.IsZero():
		return reasonEnded
	case !now.Before(sess.Expires):
		return reasonExpired
	case now.Sub(m.lastSeen(sess)) >= m.idle:
		return reasonIdle
	}
	return ""
}

// lastSeen is the later of the stored last use and this instance's
// pending one.
func (m *Manager) lastSeen(sess *gatehouse.Session) time.Time {
	if p := m.usage.Last(sess.ID); p.After(sess.LastSeen) {
		return p
	}
	return sess.LastSeen
}

// user loads the session's user and refuses one that cannot sign in.
func (m *Manager) user(ctx context.Context, sess *gatehouse.Session) (*gatehouse.User, error) {
	u, err := m.store.User(ctx, sess.UserID)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil, m.refuse(ctx, reasonNoUser, sess)
	case err != nil:
		return nil, fmt.Errorf("session: authenticate: %w", err)
	case u.Disabled:
		return nil, m.refuse(ctx, reasonDisabled, sess)
	case u.Kind != gatehouse.KindPerson:
		return nil, m.refuse(ctx, reasonService, sess)
	}
	return u, nil
}

// refuse logs why a session was refused and returns errRefused.
func (m *Manager) refuse(ctx context.Context, reason string, sess *gatehouse.Session) error {
	if sess != nil {
		m.log.DebugContext(ctx, "session: refused", "reason", reason, "session", sess.ID, "user", sess.UserID)
	} else {
		m.log.DebugContext(ctx, "session: refused", "reason", reason)
	}
	return fmt.Errorf("session: %s: %w", reason, errRefused)
}
