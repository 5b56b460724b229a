package session

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// CookieName is the session cookie's name. The __Host- prefix makes
// browsers refuse it unless it is Secure, has Path=/ and no Domain, so that
// no other host (a sibling subdomain included) can set or shadow it.
const CookieName = "__Host-gatehouse"

// LoginCookiePrefix starts the name of every login cookie; the rest is
// derived from the flow's state.
const LoginCookiePrefix = "__Host-gatehouse-login-"

// tokenBytes is the size of a token's secret: 256 bits.
const tokenBytes = 32

// tokenLength is the length of a token as the cookie holds it.
var tokenLength = base64.RawURLEncoding.EncodedLen(tokenBytes)

// idEncoding writes public ids in lower-case letters and digits, which
// never start with "-" (a CLI argument) and need no escaping in a URL.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newToken returns a new random token and its hash.
func (m *Manager) newToken() (string, [32]byte, error) {
	b := make([]byte, tokenBytes)
	if _, err := io.ReadFull(m.rand, b); err != nil {
		return "", [32]byte{}, fmt.Errorf("session: random token: %w", err)
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, hashToken(t), nil
}

// newID returns a new random public id of 128 bits.
func (m *Manager) newID() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(m.rand, b); err != nil {
		return "", fmt.Errorf("session: random id: %w", err)
	}
	return idEncoding.EncodeToString(b), nil
}

// hashToken is what the store keeps of a token.
func hashToken(t string) [32]byte { return sha256.Sum256([]byte(t)) }

// wellFormed reports whether t can be a token this package made: anything
// else is refused before it reaches the store.
func wellFormed(t string) bool {
	if len(t) != tokenLength {
		return false
	}
	for i := range len(t) {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// presented returns the request's session token: "" when there is none
// (an empty value is what a cleared cookie leaves), and a CodeInvalid error
// when the request carries the cookie more than once, since two
// credentials are never resolved by picking one.
func presented(r *http.Request) (string, error) {
	cs := r.CookiesNamed(CookieName)
	switch {
	case len(cs) == 0:
		return "", nil
	case len(cs) > 1:
		return "", gatehouse.Errorf(gatehouse.CodeInvalid, "The request carries the session cookie more than once.")
	}
	return cs[0].Value, nil
}

// sessionCookie is the cookie that carries token, or clears it when token
// is "".
func (m *Manager) sessionCookie(token string) *http.Cookie {
	c := &http.Cookie{
		Name: CookieName, Value: token, Path: "/",
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		MaxAge: int(m.absolute / time.Second),
	}
	if token == "" {
		c.MaxAge = -1 // sent as Max-Age=0: delete now
	}
	return c
}

// loginCookieName is the name of the login cookie of the flow with state:
// one per flow, so that flows in two tabs keep their own.
func loginCookieName(state string) string {
	h := sha256.Sum256([]byte(state))
	return LoginCookiePrefix + hex.EncodeToString(h[:8])
}

// loginCookie carries value for the flow with state until expires, or
// clears it when value is "". It is SameSite=Lax, not Strict: it must come
// back with the provider's redirect to the callback, which is a cross-site
// top-level navigation.
func loginCookie(state, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name: loginCookieName(state), Value: value, Path: "/",
		Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		MaxAge: max(1, int(maxAge/time.Second)),
	}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

// noStore keeps a response that sets or clears a credential out of every
// cache.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
}
