package gatehouse

import (
	"context"
	"time"
)

// Session is a signed-in browser session. The browser holds only the secret
// token in the __Host-gatehouse cookie; the store holds its SHA-256 (Hash)
// and finds the session by it.
type Session struct {
	ID        string   // public id, for listing and ending; not the secret
	Hash      [32]byte // SHA-256 of the cookie's token
	UserID    int64
	Provider  string // the provider's configured name ("dev", "google", "github"...)
	Issuer    string // the provider's issuer URL, for back-channel logout
	SID       string // the provider's sid claim, if any
	Created   time.Time
	LastSeen  time.Time // the latest recorded use; Created at first
	Expires   time.Time // absolute expiry, whatever the use
	UserAgent string    // the browser's User-Agent at sign-in
	Addr      string    // the client address of the latest recorded use
	Ended     time.Time // zero: not ended (it may still have expired)
}

// SessionUse records one use of a session, for the batched last-seen
// update.
type SessionUse struct {
	SessionID string
	At        time.Time
	Addr      string
}

// LoginFlow is one authorization-code flow in progress, kept on the server
// between the redirect to the provider and the callback. The browser holds
// only a random value in a login cookie; BrowserHash binds the flow to it.
type LoginFlow struct {
	State       string   // random, sent to the provider; the flow's key
	BrowserHash [32]byte // SHA-256 of the login cookie's value
	Provider    string
	Nonce       string
	Verifier    string // PKCE code verifier
	ReturnTo    string // a local path to go to after sign-in
	Created     time.Time
	Expires     time.Time
}

// SessionStore keeps browser sessions. Errors carry a Code as for
// UserStore. No method records a Change: sessions are not cached, so
// ending one takes effect on the next request everywhere.
type SessionStore interface {
	// CreateSession inserts s as it is. A session that reuses an id or a
	// hash is a CodeConflict error, one whose user does not exist a
	// CodeNotFound error. It may delete sessions that expired long before
	// s.Created.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash returns the session whose token hashes to hash, ended
	// or expired ones included, or a CodeNotFound error.
	SessionByHash(ctx context.Context, hash [32]byte) (*Session, error)
	// Sessions lists the user's sessions that have not been ended, newest
	// first. Expired ones are included: only the caller knows its idle
	// timeout and its clock.
	Sessions(ctx context.Context, userID int64) ([]*Session, error)
	// TouchSessions records uses. A use older than the stored LastSeen, or
	// of a session that is ended or no longer exists, changes nothing.
	TouchSessions(ctx context.Context, uses []SessionUse) error
	// EndSession sets Ended to at. A session that does not exist or is
	// already ended is a CodeNotFound error.
	EndSession(ctx context.Context, id string, at time.Time) error
	// EndUserSessions ends every session of the user that is not ended yet
	// and returns how many it ended.
	EndUserSessions(ctx context.Context, userID int64, at time.Time) (int, error)
	// EndSessionsBySID ends the sessions that issuer's sid names and
	// returns how many it ended. An empty issuer or sid is a CodeInvalid
	// error: it must never match every session without a sid.
	EndSessionsBySID(ctx context.Context, issuer, sid string, at time.Time) (int, error)
	// EndSessionsBySubject ends the user's sessions that came from issuer
	// and returns how many it ended. An empty issuer is a CodeInvalid error.
	EndSessionsBySubject(ctx context.Context, issuer string, userID int64, at time.Time) (int, error)
}

// LoginStore keeps login flows in progress.
type LoginStore interface {
	// PutLogin inserts f. A State in use is a CodeConflict error. It may
	// delete flows that have expired.
	PutLogin(ctx context.Context, f *LoginFlow) error
	// TakeLogin deletes the flow with the given state and returns it: a
	// flow can be taken once. A flow that does not exist, or that expired
	// by the store's clock, is a CodeNotFound error.
	TakeLogin(ctx context.Context, state string) (*LoginFlow, error)
}
