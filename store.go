package gatehouse

import (
	"context"
	"time"
)

// UserStore keeps users. Errors carry a Code: CodeNotFound when a user does
// not exist, CodeConflict when (Issuer, Subject) is taken, CodeUnavailable
// when the store cannot be reached.
type UserStore interface {
	// CreateUser inserts u, setting its ID, Created, Updated and Version.
	// A non-empty InvitationProvider on a user that is not an invitation
	// is a CodeInvalid error.
	CreateUser(ctx context.Context, u *User) error
	// User returns the user with the given id.
	User(ctx context.Context, id int64) (*User, error)
	// UserByIdentity returns the user with the given issuer and subject.
	UserByIdentity(ctx context.Context, issuer, subject string) (*User, error)
	// Users lists users in id order; email, when not empty, filters by
	// exact (case-insensitive) email.
	Users(ctx context.Context, email string) ([]*User, error)
	// UpdateUser saves u's Email, Name, Role and Disabled, sets Updated,
	// increases Version, and records a Change for the user, but only if the
	// stored user's Version is still u.Version: when the user has changed
	// since u was read, it changes nothing and returns a CodeConflict
	// error, and the caller reads the user again and reapplies its change.
	UpdateUser(ctx context.Context, u *User) error
	// AcceptInvitation links the invitation id (a user whose issuer is
	// IssuerInvited) to the identity that signed in, keeping its id, role
	// and keys, clears its InvitationProvider, and increases its Version.
	// It does not check InvitationProvider: the caller does. CodeNotFound
	// when id is not an invitation; CodeConflict when the identity belongs
	// to another user.
	AcceptInvitation(ctx context.Context, id int64, issuer, subject string) error
}

// UserUpdater is the part of a UserStore that UpdateUserWith needs.
type UserUpdater interface {
	User(ctx context.Context, id int64) (*User, error)
	UpdateUser(ctx context.Context, u *User) error
}

// updateUserAttempts is how many times UpdateUserWith reads and updates a
// user that others keep changing before it gives up.
const updateUserAttempts = 5

// UpdateUserWith applies change to a copy of u and saves it, returning the
// saved user; u itself is left as it is. change reports whether it changed
// the user; when it did not, nothing is written and the user as last read
// is returned. An error from change is returned as it is, with nothing
// written, so change may refuse the user as it finds it (a disabled one,
// say).
//
// When the user changed after it was read, UpdateUser refuses the update:
// UpdateUserWith reads the user again and applies change afresh to what is
// stored now, so a concurrent change is neither undone nor undoes this
// one. After five refused updates it gives up and returns the last
// CodeConflict error. Errors from st are returned as they are.
func UpdateUserWith(ctx context.Context, st UserUpdater, u *User, change func(*User) (changed bool, err error)) (*User, error) {
	for attempt := 1; ; attempt++ {
		c := *u
		changed, err := change(&c)
		if err != nil {
			return nil, err
		}
		if !changed {
			return u, nil
		}
		err = st.UpdateUser(ctx, &c)
		if err == nil {
			return &c, nil
		}
		if ErrorCode(err) != CodeConflict || attempt == updateUserAttempts {
			return nil, err
		}
		if u, err = st.User(ctx, u.ID); err != nil {
			return nil, err
		}
	}
}

// KeyStore keeps API keys. Errors carry a Code as for UserStore;
// CodeConflict when the owner already has a key with the label.
type KeyStore interface {
	// CreateKey inserts k as it is (the caller sets every field).
	CreateKey(ctx context.Context, k *APIKey) error
	// Key returns the key with the given id, hashes included.
	Key(ctx context.Context, id string) (*APIKey, error)
	// Keys lists a user's keys, newest first, revoked ones included.
	Keys(ctx context.Context, userID int64) ([]*APIKey, error)
	// RollKey replaces the key's hash with hash, keeps the old one valid
	// until prevExpires (zero: not at all), sets Rolled to at, and records a
	// Change. A revoked key is a CodeConflict error.
	RollKey(ctx context.Context, id string, hash [32]byte, at, prevExpires time.Time) error
	// RevokeKey sets Revoked to at and records a Change. Revoking a revoked
	// key is a CodeConflict error.
	RevokeKey(ctx context.Context, id string, at time.Time) error
	// DeleteKey removes the key and records a Change.
	DeleteKey(ctx context.Context, id string) error
	// TouchKeys records last uses; a use older than the stored one, or of a
	// key that no longer exists, is ignored.
	TouchKeys(ctx context.Context, uses []KeyUse) error
}

// AuditStore keeps the append-only audit log.
type AuditStore interface {
	// AppendAudit inserts e, setting its ID (and Time, when zero).
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// AuditEvents returns the events f selects, newest first.
	AuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, error)
}

// Change says that cached authentication state about a user or a key may be
// stale. Seq increases with every change.
type Change struct {
	Seq    int64
	UserID int64  // all the user's credentials, when not 0
	KeyID  string // one key, when not ""
	// All says that changes may have been missed (pruned before they were
	// read, or the store went back in time): drop everything cached. The
	// changes delivered after it have a Seq greater than its Seq.
	All bool
}

// ChangeFeed lets every instance that shares a store learn about changes
// made by any other, so that caches can drop stale entries.
type ChangeFeed interface {
	// LastChange returns the Seq of the newest change, or 0.
	LastChange(ctx context.Context) (int64, error)
	// WatchChanges calls fn, in order, for every change with Seq > after,
	// including those made later, until ctx ends; it then returns ctx.Err().
	// A change made anywhere reaches fn within one second. When the feed
	// cannot be read, it returns that error at once (the caller must
	// assume it missed changes).
	WatchChanges(ctx context.Context, after int64, fn func(Change)) error
}

// CertCache stores named blobs for the ACME certificate manager
// (certificates and account keys), so that replicas share them.
// CertData returns a CodeNotFound error for a missing name.
type CertCache interface {
	CertData(ctx context.Context, name string) ([]byte, error)
	PutCertData(ctx context.Context, name string, data []byte) error
	DeleteCertData(ctx context.Context, name string) error
}

// Store is everything a storage backend provides.
type Store interface {
	UserStore
	KeyStore
	SessionStore
	LoginStore
	AuditStore
	ChangeFeed
	CertCache
	AssertionKeyStore
	// Ping checks that the store can be reached.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
