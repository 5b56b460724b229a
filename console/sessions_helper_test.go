package console_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// sessions authenticates the __Host-gatehouse cookie against the real
// session store.
type sessions struct {
	store *sqlite.Store
}

const cookieName = "__Host-gatehouse"

func newSessions(t *testing.T, st *sqlite.Store) *sessions { return &sessions{store: st} }

func (s *sessions) start(t *testing.T, u *gatehouse.User, ua string) *http.Cookie {
	t.Helper()
	token := rand.Text() + rand.Text()
	now := time.Now().UTC().Truncate(time.Millisecond)
	sess := &gatehouse.Session{ID: rand.Text()[:16], Hash: sha256.Sum256([]byte(token)), UserID: u.ID, Provider: "dev",
		Issuer: "https://idp.test", Created: now, LastSeen: now, Expires: now.Add(time.Hour), UserAgent: ua, Addr: "127.0.0.1"}
	if err := s.store.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: cookieName, Value: token}
}

func (s *sessions) Authenticate(r *http.Request) (*gatehouse.Principal, bool, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, false, nil
	}
	sess, err := s.store.SessionByHash(r.Context(), sha256.Sum256([]byte(c.Value)))
	if err != nil || !sess.Ended.IsZero() {
		return nil, false, gatehouse.Errorf(gatehouse.CodeUnauthenticated, "The session has ended.")
	}
	u, err := s.store.User(r.Context(), sess.UserID)
	if err != nil {
		return nil, false, err
	}
	var scopes gatehouse.Scopes
	for _, sc := range gatehouse.BuiltinScopes {
		if u.Role.Allows(sc) {
			scopes = append(scopes, sc)
		}
	}
	return &gatehouse.Principal{UserID: u.ID, Email: u.Email, Name: u.Name, Kind: u.Kind, Role: u.Role,
		Method: gatehouse.MethodSession, SessionID: sess.ID, Scopes: gatehouse.NewScopes(scopes...)}, true, nil
}

func (s *sessions) List(ctx context.Context, userID int64) ([]*gatehouse.Session, error) {
	return s.store.Sessions(ctx, userID)
}

func (s *sessions) EndOne(ctx context.Context, userID int64, id string) error {
	list, err := s.store.Sessions(ctx, userID)
	if err != nil {
		return err
	}
	for _, sess := range list {
		if sess.ID == id {
			return s.store.EndSession(ctx, id, time.Now())
		}
	}
	return gatehouse.Errorf(gatehouse.CodeNotFound, "No such session.")
}

func (s *sessions) EndAll(ctx context.Context, userID int64) (int, error) {
	return s.store.EndUserSessions(ctx, userID, time.Now())
}

func (s *sessions) End(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	p, ok := gatehouse.PrincipalFrom(ctx)
	if ok && p.SessionID != "" {
		if err := s.store.EndSession(ctx, p.SessionID, time.Now()); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	return nil
}
