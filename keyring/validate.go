package keyring

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse"
)

// MaxLabelLength is the longest label, in characters (runes).
const MaxLabelLength = 100

// checkLabel returns the trimmed label, or a CodeInvalid error saying what
// is wrong with it. Labels are shown in terminals and web pages, so text
// that could move the cursor or reorder what follows is refused.
func checkLabel(label string) (string, error) {
	label = strings.TrimSpace(label)
	n := utf8.RuneCountInString(label)
	switch {
	case !utf8.ValidString(label):
		return "", gatehouse.Errorf(gatehouse.CodeInvalid, "The label is not valid UTF-8.")
	case n == 0:
		return "", gatehouse.Errorf(gatehouse.CodeInvalid, "A key needs a label, such as \"deploy\".")
	case n > MaxLabelLength:
		return "", gatehouse.Errorf(gatehouse.CodeInvalid, "The label has %d characters; at most %d are allowed.", n, MaxLabelLength)
	}
	for _, r := range label {
		if unsafeRune(r) {
			return "", gatehouse.Errorf(gatehouse.CodeInvalid, "The label contains a control or direction-changing character (%U).", r)
		}
	}
	return label, nil
}

// unsafeRune reports whether r is a control character, a line or paragraph
// separator, or a bidirectional formatting character.
func unsafeRune(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u2028', r == '\u2029': // line and paragraph separators
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069': // embeddings, overrides, isolates
		return true
	case r == '\u200e', r == '\u200f', r == '\u061c': // direction marks
		return true
	}
	return false
}

// checkScopes returns the set of names, each known and allowed by role.
func (s *Service) checkScopes(names []string, role gatehouse.Role) (gatehouse.Scopes, error) {
	if len(names) == 0 {
		return nil, gatehouse.Errorf(gatehouse.CodeInvalid, "A key needs at least one scope (known: %s).", s.known)
	}
	set, err := gatehouse.ParseScopes(names, s.known)
	if err != nil {
		return nil, err
	}
	for _, sc := range set {
		if !role.Allows(sc) {
			return nil, gatehouse.Errorf(gatehouse.CodeForbidden, "The owner's role %q does not allow the scope %q.", role, sc)
		}
	}
	return set, nil
}

// expiry returns when a key created at now expires under req (zero:
// never), or a CodeInvalid error.
func expiry(req CreateRequest, now time.Time) (time.Time, error) {
	switch {
	case req.ExpiresIn != "" && req.ExpiresAt != nil:
		return time.Time{}, gatehouse.Errorf(gatehouse.CodeInvalid, "Give expires_in or expires_at, not both.")
	case req.ExpiresIn != "":
		d, err := ParseDuration(req.ExpiresIn)
		if err != nil {
			return time.Time{}, err
		}
		return checkExpiry(now.Add(d), now)
	case req.ExpiresAt != nil:
		return checkExpiry(*req.ExpiresAt, now)
	}
	return time.Time{}, nil
}

// checkExpiry refuses an expiry that is not in the future or is further
// away than MaxLifetime.
func checkExpiry(at, now time.Time) (time.Time, error) {
	switch {
	case at.IsZero() || !at.After(now):
		return time.Time{}, gatehouse.Errorf(gatehouse.CodeInvalid, "The expiry must be in the future.")
	case at.Sub(now) > MaxLifetime:
		return time.Time{}, gatehouse.Errorf(gatehouse.CodeInvalid, "The expiry may be at most 10 years away; leave it out for a key that never expires.")
	}
	return at.UTC(), nil
}

// ParseDuration reads a positive duration: a Go duration ("12h", "30m",
// "1h30m") or a whole number of days, weeks or years ("90d", "2w", "1y",
// where a day is 24 hours and a year 365 days). Anything else, zero and
// negative durations, and durations longer than MaxLifetime are CodeInvalid.
func ParseDuration(s string) (time.Duration, error) {
	bad := gatehouse.Errorf(gatehouse.CodeInvalid, "%q is not a duration (want e.g. 90d, 2w, 1y, 12h or 30m).", s)
	d, err := parseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		return 0, bad
	case d <= 0:
		return 0, gatehouse.Errorf(gatehouse.CodeInvalid, "The duration %q must be positive.", s)
	case d > MaxLifetime:
		return 0, gatehouse.Errorf(gatehouse.CodeInvalid, "The duration %q is longer than 10 years.", s)
	}
	return d, nil
}

// dayUnit returns the length of a day-based unit, which
// time.ParseDuration lacks, or 0.
func dayUnit(c byte) time.Duration {
	switch c {
	case 'd':
		return 24 * time.Hour
	case 'w':
		return 7 * 24 * time.Hour
	case 'y':
		return 365 * 24 * time.Hour
	}
	return 0
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, strconv.ErrSyntax
	}
	unit := dayUnit(s[len(s)-1])
	if unit == 0 {
		return time.ParseDuration(s)
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 32)
	if err != nil {
		return 0, err
	}
	if n > uint64(MaxLifetime/unit) {
		return MaxLifetime + 1, nil // too long; reported by the caller, without overflowing
	}
	return time.Duration(n) * unit, nil
}
