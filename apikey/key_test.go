package apikey_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

// counting returns a reader of the bytes 0, 1, 2, ... for reproducible keys.
func counting() io.Reader {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return bytes.NewReader(b)
}

// The expected texts were computed independently (Python's zlib.crc32 and
// base64.b32encode), so that an implementation agreeing only with itself
// fails.
func TestNewKnownAnswer(t *testing.T) {
	tests := []struct {
		name string
		r    io.Reader
		want string
	}{
		{"zeros", bytes.NewReader(make([]byte, 42)), "gatehouse_aaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaamg47r6"},
		{"counting", counting(), "gatehouse_aaaqeayeaudaocaj_bifqydiob4ibceqtcqkrmfyydenbwha5dypsaijcemsckjrhfauqdwxwiab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := apikey.New(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if k.String() != tt.want {
				t.Fatalf("New = %s, want %s", k, tt.want)
			}
			if k.ID != tt.want[10:26] {
				t.Errorf("ID = %q, want %q", k.ID, tt.want[10:26])
			}
			if len(k.String()) != apikey.Length {
				t.Errorf("len = %d, want %d", len(k.String()), apikey.Length)
			}
		})
	}
}

func TestNewIsRandomAndWellFormed(t *testing.T) {
	re := regexp.MustCompile(`^gatehouse_[a-z2-7]{16}_[a-z2-7]{59}$`)
	seen := map[string]bool{}
	for range 50 {
		k, err := apikey.New(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(k.String()) {
			t.Fatalf("malformed key %s", k)
		}
		if seen[k.ID] {
			t.Fatalf("id %s repeated", k.ID)
		}
		seen[k.ID] = true
		if !apikey.ValidID(k.ID) {
			t.Fatalf("ValidID(%q) = false", k.ID)
		}
	}
}

func TestNewShortRead(t *testing.T) {
	for _, n := range []int{0, 9, 10, 41} {
		if _, err := apikey.New(bytes.NewReader(make([]byte, n))); err == nil {
			t.Errorf("New with %d random bytes: no error", n)
		}
	}
}

func TestRollKeepsIDChangesSecret(t *testing.T) {
	k, err := apikey.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r, err := apikey.Roll(k.ID, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != k.ID || r.String() == k.String() || r.Hash() == k.Hash() {
		t.Fatalf("Roll: id %s->%s, same text %v", k.ID, r.ID, r.String() == k.String())
	}
	if _, err := apikey.Parse(r.String()); err != nil {
		t.Fatalf("Parse(rolled): %v", err)
	}
	for _, id := range []string{"", "AAAAAAAAAAAAAAAA", "aaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaa1", "aaaaaaaaaaaaaaaaa"} {
		_, err := apikey.Roll(id, rand.Reader)
		if gatehouse.ErrorCode(err) != gatehouse.CodeInvalid {
			t.Errorf("Roll(%q) error %v, want CodeInvalid", id, err)
		}
	}
}

func TestParse(t *testing.T) {
	k, err := apikey.New(counting())
	if err != nil {
		t.Fatal(err)
	}
	good := k.String()
	flip := func(i int) string { return flipAt(good, i) }
	tests := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"truncated", good[:len(good)-1]},
		{"extended", good + "a"},
		{"wrong prefix", "gatehousf_" + good[10:]},
		{"upper case prefix", "GATEHOUSE_" + good[10:]},
		{"upper case body", good[:10] + strings.ToUpper(good[10:26]) + good[26:]},
		{"padding", good[:len(good)-1] + "="},
		{"digit outside alphabet", good[:30] + "1" + good[31:]},
		{"missing separator", good[:26] + "a" + good[27:]},
		{"typo in id", flip(12)},
		{"typo in secret", flip(40)},
		{"typo in checksum", flip(len(good) - 1)},
		{"swapped characters", good[:40] + good[41:42] + good[40:41] + good[42:]},
		{"non-ASCII", good[:40] + "é" + good[42:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.text == good {
				t.Fatal("test case is the good key")
			}
			_, err := apikey.Parse(tt.text)
			if gatehouse.ErrorCode(err) != gatehouse.CodeUnauthenticated {
				t.Fatalf("Parse error = %v, want CodeUnauthenticated", err)
			}
			if tt.text != "" && strings.Contains(err.Error(), tt.text[10:]) {
				t.Errorf("error %q echoes the input", err)
			}
		})
	}
	p, err := apikey.Parse(good)
	if err != nil || p != k {
		t.Fatalf("Parse(good) = %v, %v; want %v", p.DisplayPrefix(), err, k.DisplayPrefix())
	}
}

func TestHash(t *testing.T) {
	k, err := apikey.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 500)
	for _, s := range []string{k.String(), "", "short", long} {
		if apikey.Hash(s) != sha256.Sum256([]byte(s)) {
			t.Errorf("Hash(%d bytes) is not SHA-256", len(s))
		}
	}
	if k.Hash() != sha256.Sum256([]byte(k.String())) {
		t.Error("Key.Hash is not the SHA-256 of its text")
	}
}

func TestDisplayPrefixHasNoSecret(t *testing.T) {
	k, err := apikey.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	want := "gatehouse_" + k.ID
	if k.DisplayPrefix() != want || apikey.DisplayPrefix(k.ID) != want {
		t.Fatalf("DisplayPrefix = %q, want %q", k.DisplayPrefix(), want)
	}
	if got := k.LogValue().String(); got != want {
		t.Fatalf("LogValue = %q, want %q", got, want)
	}
}

func TestValidID(t *testing.T) {
	re := regexp.MustCompile(apikey.IDPattern)
	tests := []struct {
		id   string
		want bool
	}{
		{"abcdefghijklmnop", true},
		{"234567abcdefghij", true},
		{"", false},
		{"abcdefghijklmno", false},
		{"abcdefghijklmnopq", false},
		{"Abcdefghijklmnop", false},
		{"abcdefghijklmno1", false},
		{"abcdefghijklmno8", false},
		{"abcdefghijklmn/.", false},
		{"abcdefghijklmno\n", false},
	}
	for _, tt := range tests {
		if got := apikey.ValidID(tt.id); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.want)
		}
		if got := re.MatchString(tt.id); got != tt.want {
			t.Errorf("IDPattern on %q = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestParseErrorsAreUnauthenticated(t *testing.T) {
	_, err := apikey.Parse("nope")
	var e *gatehouse.Error
	if !errors.As(err, &e) || e.Code != gatehouse.CodeUnauthenticated {
		t.Fatalf("err = %#v", err)
	}
}

// flipAt returns s with its character at i replaced by another of the
// alphabet: "a", or "b" where it is "a" already.
func flipAt(s string, i int) string {
	b := []byte(s)
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}
