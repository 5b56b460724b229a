package session

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/gatehouse-dev/gatehouse"
)

// Meta says where a sign-in came from.
type Meta struct {
	Provider string // the provider's configured name
	Issuer   string // its issuer URL, for back-channel logout
	SID      string // its sid claim, if any
}

// maxUserAgent bounds the User-Agent kept with a session.
const maxUserAgent = 256

// Start signs u in: it ends the session the request carries, if any (so
// that a session id planted before sign-in is worth nothing), creates a
// fresh one, audits it and sets the cookie on w. A disabled user or a
// service account is a CodeForbidden error. The returned session holds the
// token's hash, never the token.
func (m *Manager) Start(ctx context.Context, w http.ResponseWriter, r *http.Request, u *gatehouse.User, meta Meta) (*gatehouse.Session, error) {
	switch {
	case u == nil || u.ID == 0:
		return nil, fmt.Errorf("session: start: %w", gatehouse.Errorf(gatehouse.CodeInvalid, "no user to sign in"))
	case u.Disabled:
		return nil, gatehouse.Errorf(gatehouse.CodeForbidden, "This account is disabled.")
	case u.Kind != gatehouse.KindPerson:
		return nil, gatehouse.Errorf(gatehouse.CodeForbidden, "Service accounts cannot sign in; they use API keys.")
	}
	if err := m.endPresented(ctx, r, "replaced by a new sign-in"); err != nil {
		return nil, err
	}
	sess, token, err := m.newSession(u, meta, r)
	if err != nil {
		return nil, err
	}
	if err := m.store.CreateSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("session: start: %w", err)
	}
	m.audit(ctx, gatehouse.ActionSessionStart, u.ID, sess.Addr, fmt.Sprintf("session %s via %s", sess.ID, meta.Provider))
	noStore(w)
	http.SetCookie(w, m.sessionCookie(token))
	return sess, nil
}

// newSession makes the session and its token for u.
func (m *Manager) newSession(u *gatehouse.User, meta Meta, r *http.Request) (*gatehouse.Session, string, error) {
	token, hash, err := m.newToken()
	if err != nil {
		return nil, "", err
	}
	id, err := m.newID()
	if err != nil {
		return nil, "", err
	}
	now := m.clock()
	return &gatehouse.Session{
		ID: id, Hash: hash, UserID: u.ID, Provider: meta.Provider, Issuer: meta.Issuer, SID: meta.SID,
		Created: now, LastSeen: now, Expires: now.Add(m.absolute),
		UserAgent: cleanText(r.UserAgent(), maxUserAgent), Addr: m.clientAddr(r),
	}, token, nil
}

// cleanText makes header text safe to store and show: valid UTF-8,
// without control characters, at most n bytes.
func cleanText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	for len(s) > n {
		s = strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// endPresented ends the live session the request carries, if any.
func (m *Manager) endPresented(ctx context.Context, r *http.Request, why string) error {
	token, err := presented(r)
	if err != nil || !wellFormed(token) {
		return nil // nothing of ours to end
	}
	sess, err := m.store.SessionByHash(ctx, hashToken(token))
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil
	case err != nil:
		return fmt.Errorf("session: end the presented session: %w", err)
	case !sess.Ended.IsZero():
		return nil
	}
	return m.end(ctx, sess, why)
}

// end ends sess and audits it; one already ended meanwhile is not an
// error.
func (m *Manager) end(ctx context.Context, sess *gatehouse.Session, why string) error {
	err := m.store.EndSession(ctx, sess.ID, m.clock())
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("session: end session %s: %w", sess.ID, err)
	}
	m.audit(ctx, gatehouse.ActionSessionEnd, sess.UserID, "", fmt.Sprintf("session %s %s", sess.ID, why))
	return nil
}

// End logs out: it ends the session the request carries on the server and
// clears the cookie. A request without a live session only gets the
// cookie cleared. An unsafe request from another site is refused like in
// Authenticate, so that no other site can sign its visitors out.
func (m *Manager) End(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	token, err := presented(r)
	if err != nil {
		return err
	}
	if token != "" {
		if err := m.checkOrigin(r); err != nil {
			return err
		}
	}
	if err := m.endPresented(ctx, r, "logged out"); err != nil {
		return err
	}
	noStore(w)
	http.SetCookie(w, m.sessionCookie(""))
	return nil
}

// List returns the user's live sessions, newest first, with LastSeen
// including this instance's pending use.
func (m *Manager) List(ctx context.Context, userID int64) ([]*gatehouse.Session, error) {
	all, err := m.store.Sessions(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("session: list sessions of user %d: %w", userID, err)
	}
	now := m.clock()
	out := all[:0]
	for _, s := range all {
		if m.status(s, now) == "" {
			s.LastSeen = m.lastSeen(s)
			out = append(out, s)
		}
	}
	return out, nil
}

// EndOne ends the session with the given public id if it belongs to the
// user; any other id, another user's included, is a CodeNotFound error.
func (m *Manager) EndOne(ctx context.Context, userID int64, id string) error {
	all, err := m.store.Sessions(ctx, userID)
	if err != nil {
		return fmt.Errorf("session: end session %s: %w", id, err)
	}
	for _, s := range all {
		if s.ID == id && s.UserID == userID {
			return m.end(ctx, s, "ended by "+m.actorName(ctx))
		}
	}
	return gatehouse.Errorf(gatehouse.CodeNotFound, "No such session.")
}

// EndAll ends every session of the user, such as when an operator signs a
// user out everywhere, and returns how many it ended.
func (m *Manager) EndAll(ctx context.Context, userID int64) (int, error) {
	n, err := m.store.EndUserSessions(ctx, userID, m.clock())
	if err != nil {
		return 0, fmt.Errorf("session: end sessions of user %d: %w", userID, err)
	}
	m.audit(ctx, gatehouse.ActionSessionEnd, userID, "", fmt.Sprintf("all sessions (%d) ended by %s", n, m.actorName(ctx)))
	return n, nil
}

// actorName says who is acting, for audit details.
func (m *Manager) actorName(ctx context.Context) string {
	if p, ok := gatehouse.PrincipalFrom(ctx); ok {
		return fmt.Sprintf("user %d", p.UserID)
	}
	return "an operator"
}

// audit records an event. The actor is the caller the context carries;
// without one, the user for a sign-in and 0 (the system or an operator)
// otherwise. A failure is logged, not returned: the change it describes
// has been made.
func (m *Manager) audit(ctx context.Context, action gatehouse.Action, userID int64, addr, detail string) {
	e := &gatehouse.AuditEvent{Time: m.clock(), Action: action, UserID: userID, Addr: addr, Detail: detail}
	if p, ok := gatehouse.PrincipalFrom(ctx); ok {
		e.ActorID = p.UserID
	} else if action == gatehouse.ActionSessionStart {
		e.ActorID = userID
	}
	if err := m.store.AppendAudit(ctx, e); err != nil {
		m.log.ErrorContext(ctx, "session: audit", "action", action, "user", userID, "err", err)
	}
}
