package gatehouse

import (
	"fmt"
	"slices"
	"time"
)

// Role is what a user may do in the deployment. A key's scopes are always
// intersected with its owner's current role (see Role.Allows).
type Role string

// The built-in roles, from least to most privileged.
const (
	RoleReader Role = "reader" // reads
	RoleAuthor Role = "author" // reads, writes their own resources
	RoleEditor Role = "editor" // reads, writes anyone's resources
	RoleAdmin  Role = "admin"  // everything, including other users' keys and the audit log
)

// Roles lists the built-in roles, least privileged first.
var Roles = []Role{RoleReader, RoleAuthor, RoleEditor, RoleAdmin}

// ParseRole returns the Role named s, or a CodeInvalid error.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if slices.Contains(Roles, r) {
		return r, nil
	}
	return "", Errorf(CodeInvalid, "unknown role %q (want one of reader, author, editor, admin)", s)
}

// Allows reports whether a user with role r may use scope s at all.
// Readers may not use ScopeWrite; only admins may use ScopeAdmin. Every
// role may use ScopeRead, ScopeKeys and the deployment's own scopes.
func (r Role) Allows(s Scope) bool {
	switch s {
	case ScopeWrite:
		return r == RoleAuthor || r == RoleEditor || r == RoleAdmin
	case ScopeAdmin:
		return r == RoleAdmin
	}
	return slices.Contains(Roles, r)
}

// UserKind tells people from service accounts.
type UserKind string

// The kinds of user.
const (
	KindPerson  UserKind = "person"  // signs in through an identity provider
	KindService UserKind = "service" // a program; holds only API keys
)

// IssuerService is the issuer of service accounts made with the CLI; their
// subject is the account's name.
const IssuerService = "urn:gatehouse:service"

// IssuerInvited is the issuer of people added by email with the CLI before
// they first sign in; their subject is the email address.
const IssuerInvited = "urn:gatehouse:invited"

// User is a person or a service account. Users are identified by
// (Issuer, Subject), never by email alone.
type User struct {
	ID       int64
	Issuer   string // OpenID issuer URL, IssuerService or IssuerInvited
	Subject  string // the issuer's stable id for the user
	Kind     UserKind
	Email    string
	Name     string // display name
	Role     Role
	Disabled bool // a disabled user's keys and sessions stop working at once
	// InvitationProvider, on an invitation (Issuer IssuerInvited), is the
	// name of the one configured sign-in provider that may accept it, as
	// in the provider's ProviderConfig.Name (see CheckProviderName); empty
	// means any provider that vouches for the email. It is set when the
	// invitation is created, kept by UpdateUser, and cleared when the
	// invitation is accepted.
	InvitationProvider string
	Created            time.Time
	Updated            time.Time
	// Version is the row's revision: 1 when created, and greater after
	// every change the store saves. UpdateUser saves a copy only if the
	// stored Version is still the one the copy was read with.
	Version int64
}

// Validate checks the fields a store requires.
func (u *User) Validate() error {
	switch {
	case u.Issuer == "" || u.Subject == "":
		return Errorf(CodeInvalid, "user needs an issuer and a subject")
	case u.Kind != KindPerson && u.Kind != KindService:
		return Errorf(CodeInvalid, "unknown user kind %q", u.Kind)
	}
	if _, err := ParseRole(string(u.Role)); err != nil {
		return fmt.Errorf("user %s: %w", u.Subject, err)
	}
	if u.InvitationProvider == "" {
		return nil
	}
	if u.Issuer != IssuerInvited {
		return Errorf(CodeInvalid, "user %s: only an invitation is bound to a provider", u.Subject)
	}
	return CheckProviderName(u.InvitationProvider)
}

// ValidServiceName reports whether s may name a service account (the
// subject of a user whose issuer is IssuerService): a lower-case letter,
// then up to 63 lower-case letters, digits or any of "._-". Never a number
// or an address, so that a reference to a user is never ambiguous.
func ValidServiceName(s string) bool { return validName(s, 64, true, "._-") }

// CheckProviderName returns a CodeInvalid error unless name is a valid
// sign-in provider name: lower-case letters, digits and "-", starting
// with a letter or digit, at most 32 characters.
func CheckProviderName(name string) error {
	if !validName(name, 32, false, "-") {
		return Errorf(CodeInvalid, "provider name %q: want lower-case letters, digits and -, at most 32", name)
	}
	return nil
}
