package gatehouse

import (
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

// ValidScopeName reports whether s is well-formed: a lower-case letter, then
// up to 63 lower-case letters, digits or any of "_.:-".
func ValidScopeName(s string) bool { return validName(s, 64, true, "_.:-") }

// validName reports whether s has 1 to max bytes, lower-case letters
// (and digits, unless letterFirst, for the first), digits and the bytes of
// others. A loop rather than a regular expression: "[…]{0,63}" compiles to
// 64 copies of the class, some 12 KB that every process would keep on its
// heap, which the garbage collector then scans in every cycle.
func validName(s string, max int, letterFirst bool, others string) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9':
			if i == 0 && letterFirst {
				return false
			}
		case i > 0 && strings.IndexByte(others, c) >= 0:
		default:
			return false
		}
	}
	return true
}

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
