package gatehouse

import "time"

// AuthMethod says how a Principal proved who it is.
type AuthMethod string

// The authentication methods.
const (
	MethodAPIKey  AuthMethod = "apikey"
	MethodSession AuthMethod = "session"
)

// Principal is the authenticated caller of one request: who, with what role,
// by which method, and with which effective scopes. It is immutable once
// made, and may be shared between requests.
type Principal struct {
	UserID int64
	Email  string
	Name   string
	Kind   UserKind
	Role   Role
	Method AuthMethod
	// KeyID and KeyExpires are set when Method is MethodAPIKey.
	KeyID      string
	KeyExpires time.Time // zero: never
	// SessionID is the session's public id when Method is MethodSession.
	SessionID string
	// Scopes are the effective scopes: the credential's scopes intersected
	// with what the user's current role allows.
	Scopes Scopes
}

// Has reports whether the principal holds scope s.
func (p *Principal) Has(s Scope) bool { return p != nil && p.Scopes.Has(s) }
