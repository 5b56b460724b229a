package session

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// maxState bounds the state FinishLogin accepts from a callback URL.
const maxState = 512

// BeginLogin stores the flow f and binds it to this browser: it makes a
// random value, sets it in a login cookie of the flow's own (SameSite=Lax,
// for LoginLifetime at most) and stores its hash in f.BrowserHash. A zero
// Created is set to now; an Expires that is zero or later than
// LoginLifetime from now is set to that.
func (m *Manager) BeginLogin(ctx context.Context, w http.ResponseWriter, f *gatehouse.LoginFlow) error {
	if f == nil || f.State == "" || len(f.State) > maxState {
		return fmt.Errorf("session: begin login: %w", gatehouse.Errorf(gatehouse.CodeInvalid, "a login flow needs a state"))
	}
	value, hash, err := m.newToken()
	if err != nil {
		return err
	}
	now := m.clock()
	if f.Created.IsZero() {
		f.Created = now
	}
	if limit := now.Add(LoginLifetime); f.Expires.IsZero() || f.Expires.After(limit) {
		f.Expires = limit
	}
	f.Created, f.Expires = f.Created.UTC().Truncate(time.Millisecond), f.Expires.UTC().Truncate(time.Millisecond)
	f.BrowserHash = hash
	if err := m.store.PutLogin(ctx, f); err != nil {
		return fmt.Errorf("session: begin login: %w", err)
	}
	noStore(w)
	http.SetCookie(w, loginCookie(f.State, value, f.Expires.Sub(now)))
	return nil
}

// The errors of FinishLogin, all CodeUnauthenticated: a person who sees
// one can only start again.
var (
	errNoLoginCookie = gatehouse.Errorf(gatehouse.CodeUnauthenticated,
		"This sign-in did not start in this browser (or its cookie expired): start again.")
	errLoginGone = gatehouse.Errorf(gatehouse.CodeUnauthenticated,
		"This sign-in has expired or was already completed: start again.")
	errLoginMismatch = gatehouse.Errorf(gatehouse.CodeUnauthenticated,
		"This sign-in belongs to another browser: start again.")
)

// FinishLogin takes the flow with the given state and checks that this
// browser started it: the request must carry that flow's login cookie,
// whose hash must equal the flow's BrowserHash. The flow is single-use:
// once its cookie is presented it is taken from the store, whatever the
// outcome, and the cookie is cleared. A request without the cookie takes
// nothing, so that a forged callback cannot spend someone else's flow.
// Every failure is a CodeUnauthenticated error, except a store that cannot
// be reached.
func (m *Manager) FinishLogin(ctx context.Context, w http.ResponseWriter, r *http.Request, state string) (*gatehouse.LoginFlow, error) {
	if state == "" || len(state) > maxState {
		return nil, fmt.Errorf("session: finish login: %w", errLoginGone)
	}
	cs := r.CookiesNamed(loginCookieName(state))
	if len(cs) != 1 || cs[0].Value == "" {
		return nil, fmt.Errorf("session: finish login: %d login cookies: %w", len(cs), errNoLoginCookie)
	}
	noStore(w)
	http.SetCookie(w, loginCookie(state, "", 0))
	f, err := m.store.TakeLogin(ctx, state)
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return nil, fmt.Errorf("session: finish login: %w", errLoginGone)
	}
	if err != nil {
		return nil, fmt.Errorf("session: finish login: %w", err)
	}
	if !m.clock().Before(f.Expires) {
		return nil, fmt.Errorf("session: finish login: expired at %v: %w", f.Expires, errLoginGone)
	}
	h := hashToken(cs[0].Value)
	if subtle.ConstantTimeCompare(h[:], f.BrowserHash[:]) != 1 {
		return nil, fmt.Errorf("session: finish login: %w", errLoginMismatch)
	}
	return f, nil
}
