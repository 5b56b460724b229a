package gatehouse_test

import (
	"regexp"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

// The name checks are loops; these are the regular expressions they
// replace, the reference they must agree with on every input.
var (
	scopeRE    = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{0,63}$`)
	providerRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	serviceRE  = regexp.MustCompile(`^[a-z][a-z0-9._-]{0,63}$`)
)

var nameSeeds = []string{
	"", "a", "read", "write:posts", "a.b_c-d:e", "1abc", "-abc", "_a", ".a", ":a", "Read", "reAd", "a b",
	"a\n", "\na", "é", "aé", "dev", "google-2", "0", "9x", "-", "a-", "a--b", "a/b", "a;b", "a\x00",
	"a123456789012345678901234567890", "a1234567890123456789012345678901", "a12345678901234567890123456789012",
	"a" + string(make([]byte, 63)),
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",  // 64
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm", // 65
}

func checkNames(t *testing.T, s string) {
	t.Helper()
	if got, want := gatehouse.ValidScopeName(s), scopeRE.MatchString(s); got != want {
		t.Errorf("ValidScopeName(%q) = %v, the expression says %v", s, got, want)
	}
	if got, want := gatehouse.CheckProviderName(s) == nil, providerRE.MatchString(s); got != want {
		t.Errorf("CheckProviderName(%q) accepts: %v, the expression says %v", s, got, want)
	}
	if got, want := gatehouse.ValidServiceName(s), serviceRE.MatchString(s); got != want {
		t.Errorf("ValidServiceName(%q) = %v, the expression says %v", s, got, want)
	}
}

func TestNameChecksMatchTheirExpressions(t *testing.T) {
	for _, s := range nameSeeds {
		checkNames(t, s)
	}
	// Every one- and two-byte name, so that each byte is tried first and
	// after a valid first byte.
	for a := range 256 {
		checkNames(t, string([]byte{byte(a)}))
		checkNames(t, string([]byte{'a', byte(a)}))
		checkNames(t, string([]byte{'1', byte(a)}))
	}
}

func FuzzNameChecks(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(checkNames)
}
