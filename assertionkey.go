package gatehouse

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// AssertionKey is one private key of the gateway's identity assertion key
// ring (see gateway.Assertions). A key signs during [NotBefore, NotAfter)
// and is published in the JWKS from the time it is stored until Expires,
// which is at least NotAfter plus the longest lifetime of an assertion.
//
// The store holds the private key itself, as it holds the ACME account key
// in the certificate cache: anyone who can read the database can sign
// assertions, so protect it (and its backups) as the keys it holds.
type AssertionKey struct {
	KID        string // the RFC 7638 thumbprint of the public key
	Alg        string // the JWS algorithm: "EdDSA" or "ES256"
	PrivateKey []byte `json:"-"` // PKCS#8, DER; never in JSON, as String, Format and LogValue leave it out
	NotBefore  time.Time
	NotAfter   time.Time
	Expires    time.Time
	Created    time.Time
}

// Validate refuses, with a CodeInvalid error, a key without a kid, an
// algorithm or a private key, or whose times are not NotBefore < NotAfter
// <= Expires.
func (k *AssertionKey) Validate() error {
	if k.KID == "" || k.Alg == "" || len(k.PrivateKey) == 0 || !k.NotBefore.Before(k.NotAfter) || k.Expires.Before(k.NotAfter) {
		return Errorf(CodeInvalid, "An assertion key needs a kid, an algorithm, a private key, and NotBefore < NotAfter <= Expires.")
	}
	return nil
}

// LogValue implements slog.LogValuer: a logged key shows its kid,
// algorithm and signing period, never its private key.
func (k AssertionKey) LogValue() slog.Value {
	return slog.GroupValue(slog.String("kid", k.KID), slog.String("alg", k.Alg),
		slog.Time("not_before", k.NotBefore), slog.Time("not_after", k.NotAfter))
}

// String describes the key by its kid, algorithm and signing period,
// without its private key.
func (k AssertionKey) String() string {
	return fmt.Sprintf("AssertionKey{KID:%s Alg:%s NotBefore:%s NotAfter:%s}", k.KID, k.Alg,
		k.NotBefore.UTC().Format(time.RFC3339), k.NotAfter.UTC().Format(time.RFC3339))
}

// Format implements fmt.Formatter so that no verb (%v, %+v, %#v, %x...)
// prints the private key: every one prints String.
func (k AssertionKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, k.String()) }

// AssertionKeyStore keeps the assertion key ring, so that every gateway
// replica sharing the store, and every restart, signs with the same keys
// and publishes the same JWKS.
type AssertionKeyStore interface {
	// AddAssertionKey inserts k unless a key of the same Alg, NotBefore and
	// NotAfter (or KID) is stored; then it changes nothing and returns nil.
	// Replicas that rotate at once thus each try to insert a key, one
	// wins, and all of them read the winner with AssertionKeys.
	AddAssertionKey(ctx context.Context, k *AssertionKey) error
	// AssertionKeys returns the keys that expire after t, of every
	// algorithm, ordered by NotBefore then KID.
	AssertionKeys(ctx context.Context, t time.Time) ([]*AssertionKey, error)
	// DeleteAssertionKeys removes the keys that expire at or before t.
	DeleteAssertionKeys(ctx context.Context, t time.Time) error
}
