package gatehouse

import "time"

// APIKey is the stored form of an API key. It never holds the key itself:
// only the SHA-256 of its text (Hash) and a non-secret display prefix.
type APIKey struct {
	ID      string // public, unique; part of the key's text
	UserID  int64  // the owner
	Label   string // unique per owner
	Prefix  string // non-secret start of the key, for display
	Hash    [32]byte
	Scopes  Scopes
	Created time.Time
	Expires time.Time // zero: never

	// PrevHash is the hash of the secret the last roll replaced; it stays
	// valid until PrevExpires (zero: not valid at all).
	PrevHash    [32]byte
	PrevExpires time.Time
	Rolled      time.Time // zero: never rolled

	LastUsed     time.Time // zero: never used
	LastUsedAddr string
	Revoked      time.Time // zero: not revoked
}

// Status is the state of a key at a moment, for display and for checks.
type Status string

// The key statuses.
const (
	StatusActive  Status = "active"
	StatusExpired Status = "expired"
	StatusRevoked Status = "revoked"
)

// Status returns the key's status at now. idle, when positive, is how long a
// key may go unused (counted from its last use or its creation) before it
// expires on its own.
func (k *APIKey) Status(now time.Time, idle time.Duration) Status {
	switch {
	case !k.Revoked.IsZero():
		return StatusRevoked
	case !k.Expires.IsZero() && !now.Before(k.Expires):
		return StatusExpired
	case idle > 0 && now.Sub(k.lastActivity()) >= idle:
		return StatusExpired
	}
	return StatusActive
}

// lastActivity is when the key was last used, rolled or created.
func (k *APIKey) lastActivity() time.Time {
	t := k.Created
	if k.Rolled.After(t) {
		t = k.Rolled
	}
	if k.LastUsed.After(t) {
		t = k.LastUsed
	}
	return t
}

// KeyUse records one use of a key, for the batched last-used update.
type KeyUse struct {
	KeyID string
	At    time.Time
	Addr  string
}
