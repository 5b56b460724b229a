package guard

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// The challenges of 401 responses (RFC 9110 section 11.6.1, RFC 6750).
const (
	// ChallengeAll lists every scheme Gatehouse accepts; it goes with a 401
	// to a request without a (usable) credential.
	ChallengeAll = `apikey realm="gatehouse", Bearer realm="gatehouse", Basic realm="gatehouse"`
	// ChallengeInvalid goes with a 401 to a request whose key was refused.
	ChallengeInvalid = `Bearer realm="gatehouse", error="invalid_token", apikey realm="gatehouse", Basic realm="gatehouse"`
)

// HeaderKeyExpires is the response header that tells a client when the key
// it used expires (RFC 3339, UTC). It is absent for keys that do not expire.
const HeaderKeyExpires = "Gatehouse-Key-Expires"

// Authenticate is the middleware that puts the caller's principal in the
// request's context (see gatehouse.PrincipalFrom). A request without a
// credential passes on anonymously: Require and RequireAuth decide what
// needs one. Otherwise it answers itself:
//   - 400 for a malformed request: two Authorization headers, a key in the
//     query string, bad Basic credentials, a key and a session together; a
//     key in the query string or Basic credentials naming another user than
//     apikey is also a refused key, audited and counted as a failure;
//   - 401 with ChallengeInvalid for any refused key, with one body whatever
//     the reason, and with ChallengeAll for an unsupported scheme;
//   - 429 with Retry-After when the client address failed too often;
//   - 503 when the store cannot be reached.
func (g *Guard) Authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		text, err := apikey.FromRequest(r)
		if err != nil {
			g.credentialError(w, r, err)
			return
		}
		if g.sessions != nil {
			p, ok, err := g.sessions.Authenticate(r)
			switch {
			case err != nil:
				problem.Write(w, r, g.log, err)
				return
			case ok && text != "":
				problem.WriteDetails(w, r, badRequest("Send either an API key or a session cookie, not both."))
				return
			case ok:
				next.ServeHTTP(w, r.WithContext(gatehouse.NewContext(r.Context(), p)))
				return
			}
		}
		if text == "" {
			next.ServeHTTP(w, r)
			return
		}
		p, e, err := g.verify(r.Context(), text, g.clientAddr(r))
		if err != nil {
			g.verifyError(w, r, err)
			return
		}
		if e.expiresHeader != "" {
			w.Header()[HeaderKeyExpires] = []string{e.expiresHeader}
		}
		next.ServeHTTP(w, r.WithContext(gatehouse.NewContext(r.Context(), p)))
	})
}

// The audit reasons of keys refused before any lookup because of where
// the request put them.
const (
	reasonKeyInQuery = "key_in_query" // apikey.ErrKeyInQuery
	reasonBasicUser  = "basic_user"   // apikey.ErrBasicUser
)

// credentialError answers a request whose credential cannot be read. A
// key presented where it is never accepted is a refusal like any other:
// audited (with the key's display prefix when it is well-formed) and
// counted against the client's failures, so that an address over its
// limit gets 429 and cannot flood the audit queue.
func (g *Guard) credentialError(w http.ResponseWriter, r *http.Request, err error) {
	reason := ""
	switch {
	case errors.Is(err, apikey.ErrKeyInQuery):
		reason = reasonKeyInQuery
	case errors.Is(err, apikey.ErrBasicUser):
		reason = reasonBasicUser
	}
	if reason != "" {
		addr, now := g.clientAddr(r), g.now()
		// An address over its limit is answered before the key id is
		// worked out again: a flood costs no more than the check.
		if wait, limited := g.limits.blocked(addr, now); limited {
			g.verifyError(w, r, limitError(wait))
			return
		}
		rej := rejection{addr: addr, reason: reason, keyID: apikey.RefusedKeyID(r)}
		if rerr := g.refuse(r.Context(), now, rej); isLimited(rerr) {
			g.verifyError(w, r, rerr)
			return
		}
	}
	if gatehouse.ErrorCode(err) == gatehouse.CodeInvalid {
		problem.WriteDetails(w, r, badRequest(gatehouse.ErrorMessage(err)))
		return
	}
	w.Header().Set("WWW-Authenticate", ChallengeAll)
	problem.Write(w, r, g.log, err)
}

func badRequest(detail string) problem.Details {
	d := problem.New(gatehouse.Errorf(gatehouse.CodeInvalid, "%s", detail))
	d.Error = "invalid_request"
	return d
}

// verifyError answers a request whose key Verify refused.
func (g *Guard) verifyError(w http.ResponseWriter, r *http.Request, err error) {
	if wait, ok := RetryAfter(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(wait)))
	}
	if gatehouse.ErrorCode(err) == gatehouse.CodeUnauthenticated {
		w.Header().Set("WWW-Authenticate", ChallengeInvalid)
		d := problem.New(err)
		d.Error = "invalid_token"
		problem.WriteDetails(w, r, d)
		return
	}
	problem.Write(w, r, g.log, err)
}

// Require returns a handler that passes to next only requests whose
// principal holds scope. Without a principal it answers 401 with
// ChallengeAll; with one that lacks the scope, 403 with the RFC 6750
// insufficient_scope error naming the scope.
func (g *Guard) Require(scope gatehouse.Scope, next http.Handler) http.Handler {
	challenge := `Bearer realm="gatehouse", error="insufficient_scope", scope="` + string(scope) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := gatehouse.PrincipalFrom(r.Context())
		if !ok {
			unauthenticated(w, r)
			return
		}
		if !p.Has(scope) {
			w.Header().Set("WWW-Authenticate", challenge)
			d := problem.New(gatehouse.Errorf(gatehouse.CodeForbidden, "This request needs the %q scope.", scope))
			d.Error, d.Scope = "insufficient_scope", string(scope)
			problem.WriteDetails(w, r, d)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireAuth returns a handler that passes to next any request with a
// principal, whatever its scopes, and answers 401 with ChallengeAll to the
// others.
func (g *Guard) RequireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := gatehouse.PrincipalFrom(r.Context()); !ok {
			unauthenticated(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func unauthenticated(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", ChallengeAll)
	problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeUnauthenticated,
		"This request needs a credential: an API key in the Authorization header."))
}

// isLimited reports whether err is the answer to an address over its
// failure limit.
func isLimited(err error) bool {
	_, ok := RetryAfter(err)
	return ok
}
