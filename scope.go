package gatehouse

import (
	"regexp"
	"slices"
	"strings"
)

// Scope names one kind of access a credential may carry.
type Scope string

// The built-in scopes. A deployment may define more (see ScopeSet).
const (
	ScopeRead  Scope = "read"  // safe methods
	ScopeWrite Scope = "write" // unsafe methods
	ScopeKeys  Scope = "keys"  // manage the owner's API keys
	ScopeAdmin Scope = "admin" // operator actions; only admins may hold it
)

// BuiltinScopes lists the built-in scopes.
var BuiltinScopes = []Scope{ScopeRead, ScopeWrite, ScopeKeys, ScopeAdmin}

var scopeName = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{0,63}$`)

// ValidScopeName reports whether s is well-formed: a lower-case letter, then
// up to 63 lower-case letters, digits or any of "_.:-".
func ValidScopeName(s string) bool { return scopeName.MatchString(s) }

// Scopes is a sorted set of scopes without duplicates.
type Scopes []Scope

// NewScopes returns the sorted, de-duplicated set of ss.
func NewScopes(ss ...Scope) Scopes {
	out := slices.Clone(ss)
	slices.Sort(out)
	return Scopes(slices.Compact(out))
}

// Has reports whether s is in the set.
func (ss Scopes) Has(s Scope) bool {
	_, ok := slices.BinarySearch(ss, s)
	return ok
}

// Strings returns the scopes as strings.
func (ss Scopes) Strings() []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// String returns the scopes separated by spaces, as OAuth writes them.
func (ss Scopes) String() string { return strings.Join(ss.Strings(), " ") }

// Effective returns the scopes of ss that role r allows: what a key with
// these scopes may do for its owner now.
func (ss Scopes) Effective(r Role) Scopes {
	out := make(Scopes, 0, len(ss))
	for _, s := range ss {
		if r.Allows(s) {
			out = append(out, s)
		}
	}
	return out
}

// ParseScopes checks names against the deployment's known scopes and returns
// them as a set. An empty or unknown name is a CodeInvalid error.
func ParseScopes(names []string, known Scopes) (Scopes, error) {
	out := make([]Scope, 0, len(names))
	for _, n := range names {
		s := Scope(strings.TrimSpace(n))
		if !known.Has(s) {
			return nil, Errorf(CodeInvalid, "unknown scope %q (known: %s)", n, known)
		}
		out = append(out, s)
	}
	return NewScopes(out...), nil
}
