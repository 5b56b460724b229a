// Package apikey generates, formats, parses and hashes Gatehouse API keys,
// and reads the credential of a request from its Authorization header. It
// does no I/O.
//
// # Format
//
// A key is 86 characters of lower-case base32 ([a-z2-7]) with two
// separators:
//
//	gatehouse_<id>_<secret><checksum>
//
// The prefix names Gatehouse, so that secret scanners and people recognise
// a leaked key. The id (16 characters, 80 random bits) is public: stores
// look keys up by it and URLs name keys by it. The secret is 256 random bits
// (52 characters). The checksum (7 characters) is the CRC-32 of everything
// before it: it rejects typos and truncated keys before any store is asked,
// and it keeps random junk out of the caches. Stores keep only the SHA-256
// of the whole text (Hash).
package apikey

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"unsafe"

	"github.com/gatehouse-dev/gatehouse"
)

// Prefix starts every key's text.
const Prefix = "gatehouse_"

// The lengths of a key's parts, in characters.
const (
	IDLength       = 16 // the public id: 10 random bytes
	SecretLength   = 52 // the secret: 32 random bytes
	ChecksumLength = 7  // CRC-32, 5 bits a character
	// Length is the length of a key's whole text.
	Length = len(Prefix) + IDLength + 1 + SecretLength + ChecksumLength
)

// IDPattern is a regular expression that matches exactly the valid key ids,
// for route documentation and for validators that want one; ValidID is the
// fast equivalent.
const IDPattern = `^[a-z2-7]{16}$`

const (
	alphabet    = "abcdefghijklmnopqrstuvwxyz234567"
	idBytes     = 10
	secretBytes = 32
	idStart     = len(Prefix)
	idEnd       = idStart + IDLength // index of the '_' after the id
	bodyEnd     = Length - ChecksumLength
)

var encoding = base32.NewEncoding(alphabet).WithPadding(base32.NoPadding)

// Key is a parsed or newly made API key. Its text holds the secret: show it
// to its owner once, store only Hash, and never log it (Key's LogValue
// shows only the display prefix).
type Key struct {
	// ID is the key's public id.
	ID   string
	text string
}

// New returns a key with a new random id and secret read from r, which is
// crypto/rand.Reader in production.
func New(r io.Reader) (Key, error) {
	var id [idBytes]byte
	if _, err := io.ReadFull(r, id[:]); err != nil {
		return Key{}, fmt.Errorf("apikey: read random id: %w", err)
	}
	return Roll(encoding.EncodeToString(id[:]), r)
}

// Roll returns a key with the given id and a new random secret read from r.
// An invalid id is a CodeInvalid error.
func Roll(id string, r io.Reader) (Key, error) {
	if !ValidID(id) {
		return Key{}, gatehouse.Errorf(gatehouse.CodeInvalid, "malformed API key id")
	}
	var secret [secretBytes]byte
	if _, err := io.ReadFull(r, secret[:]); err != nil {
		return Key{}, fmt.Errorf("apikey: read random secret: %w", err)
	}
	buf := make([]byte, 0, Length)
	buf = append(buf, Prefix...)
	buf = append(buf, id...)
	buf = append(buf, '_')
	buf = encoding.AppendEncode(buf, secret[:])
	buf = appendChecksum(buf, checksum(string(buf)))
	return Key{ID: id, text: string(buf)}, nil
}

// Parse checks text's prefix, length, alphabet and checksum, and returns the
// key. Any fault is a CodeUnauthenticated error whose message says what is
// wrong but never repeats the input. Parse does not allocate.
func Parse(text string) (Key, error) {
	switch {
	case len(text) != Length:
		return Key{}, unauthenticated("API key has the wrong length")
	case text[:idStart] != Prefix:
		return Key{}, unauthenticated("API key does not start with " + Prefix)
	case text[idEnd] != '_' || !inAlphabet(text[idStart:idEnd]) || !inAlphabet(text[idEnd+1:]):
		return Key{}, unauthenticated("API key has characters outside its alphabet")
	}
	var want [ChecksumLength]byte
	appendChecksum(want[:0], checksum(text[:bodyEnd]))
	if string(want[:]) != text[bodyEnd:] {
		return Key{}, unauthenticated("API key checksum does not match")
	}
	return Key{ID: text[idStart:idEnd], text: text}, nil
}

func unauthenticated(msg string) error {
	return gatehouse.Errorf(gatehouse.CodeUnauthenticated, "%s", msg)
}

// String returns the key's text, secret included.
func (k Key) String() string { return k.text }

// LogValue implements slog.LogValuer: a logged Key shows only its display
// prefix.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.DisplayPrefix()) }

// Hash returns the SHA-256 of the key's text, the only form a store keeps.
func (k Key) Hash() [32]byte { return Hash(k.text) }

// DisplayPrefix returns the key's non-secret prefix, for lists and logs.
func (k Key) DisplayPrefix() string { return DisplayPrefix(k.ID) }

// Hash returns the SHA-256 of text. It does not allocate for texts of a
// key's length.
func Hash(text string) [32]byte {
	if len(text) <= Length {
		var buf [Length]byte
		n := copy(buf[:], text)
		return sha256.Sum256(buf[:n])
	}
	return sha256.Sum256([]byte(text))
}

// DisplayPrefix returns the non-secret start of the text of the key with the
// given id: the prefix and the id.
func DisplayPrefix(id string) string { return Prefix + id }

// ValidID reports whether id is a well-formed key id (see IDPattern).
func ValidID(id string) bool { return len(id) == IDLength && inAlphabet(id) }

// inAlphabet reports whether every byte of s is in the base32 alphabet.
func inAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}

// checksum returns the IEEE CRC-32 of s. Its argument escapes in
// crc32.ChecksumIEEE, so converting s to a slice would cost Parse an
// allocation; the slice made here shares s's bytes instead, which is safe
// because the checksum only reads them. It lets crc32 use its hardware
// path, several times faster than a byte-wise loop.
func checksum(s string) uint32 {
	return crc32.ChecksumIEEE(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// appendChecksum appends c as ChecksumLength base32 characters, most
// significant first; the first character carries only two bits.
func appendChecksum(b []byte, c uint32) []byte {
	var out [ChecksumLength]byte
	for i := ChecksumLength - 1; i >= 0; i-- {
		out[i] = alphabet[c&31]
		c >>= 5
	}
	return append(b, out[:]...)
}
