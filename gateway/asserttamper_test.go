package gateway_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/gateway"
)

// TestAssertionTamperedKeysLeftOut: a stored key whose kid is not its
// thumbprint, and an ES256 key on another curve than P-256, are logged
// and neither published nor used.
func TestAssertionTamperedKeysLeftOut(t *testing.T) {
	sa, _ := backends[0].open(t)
	clock := &fakeClock{t: time.Date(2030, 1, 1, 0, 10, 0, 0, time.UTC)}
	// Rows of a later period, so that the instance still makes the keys of
	// the current and the next one.
	nb := time.Date(2030, 1, 1, 5, 0, 0, 0, time.UTC)
	row := func(kid, alg string, priv any) {
		t.Helper()
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		k := &gatehouse.AssertionKey{KID: kid, Alg: alg, PrivateKey: der, NotBefore: nb, NotAfter: nb.Add(time.Hour), Expires: nb.Add(2 * time.Hour)}
		if err := sa.AddAssertionKey(t.Context(), k); err != nil {
			t.Fatal(err)
		}
		nb = nb.Add(time.Hour)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	row("not-its-thumbprint", gateway.AlgEdDSA, ed)
	// A P-384 key named by the thumbprint Gatehouse would compute if it
	// read the key as P-256, so that only the curve check refuses it.
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := p384.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.RawURLEncoding
	sum := sha256.Sum256(fmt.Appendf(nil, `{"crv":"P-256","kty":"EC","x":%q,"y":%q}`, b64.EncodeToString(pt[1:33]), b64.EncodeToString(pt[33:65])))
	row(b64.EncodeToString(sum[:]), gateway.AlgES256, p384)

	var logged bytes.Buffer
	a := newAssertions(t, gateway.AssertionConfig{Keys: sa, Now: clock.Now, RotateEvery: time.Hour, Lifetime: time.Minute,
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	published := kids(t, serveJWKS(t, a))
	if len(published) != 2 {
		t.Errorf("the JWKS publishes %q, want only the two keys the instance made", published)
	}
	if slices.Contains(published, "not-its-thumbprint") || slices.Contains(published, b64.EncodeToString(sum[:])) {
		t.Errorf("the JWKS publishes a tampered key: %q", published)
	}
	if n := strings.Count(logged.String(), "stored assertion key left out"); n != 2 {
		t.Errorf("%d keys logged as left out, want 2:\n%s", n, logged.String())
	}
	clock.Add(5 * time.Hour)
	if tok, err := a.Token(t.Context(), principal(1), "https://upstream"); err == nil && !slices.Contains(kids(t, serveJWKS(t, a)), kidOf(t, tok)) {
		t.Errorf("in the tampered keys' periods Token signs with %s, which the JWKS does not publish", kidOf(t, tok))
	}
}

// failingKeys is an AssertionKeyStore whose reads fail while fail is set,
// and which counts them.
type failingKeys struct {
	gatehouse.AssertionKeyStore
	fail  atomic.Bool
	reads atomic.Int64
}

func (f *failingKeys) AssertionKeys(ctx context.Context, t time.Time) ([]*gatehouse.AssertionKey, error) {
	f.reads.Add(1)
	if f.fail.Load() {
		return nil, errors.New("store down")
	}
	return f.AssertionKeyStore.AssertionKeys(ctx, t)
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestAssertionStoreFailureRetryDelay: when the store fails at a period
// change, the instance logs it and signs with the next key it holds, and
// the requests of the following seconds do not read the store again; a
// request after the retry delay does.
func TestAssertionStoreFailureRetryDelay(t *testing.T) {
	sa, _ := backends[0].open(t)
	keys := &failingKeys{AssertionKeyStore: sa}
	clock := &fakeClock{t: time.Date(2030, 1, 1, 0, 50, 0, 0, time.UTC)}
	var logged lockedBuffer
	a := newAssertions(t, gateway.AssertionConfig{Keys: keys, Now: clock.Now, RotateEvery: time.Hour, Lifetime: time.Minute,
		Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	next := kids(t, serveJWKS(t, a))

	keys.fail.Store(true)
	clock.Add(15 * time.Minute)
	before := keys.reads.Load()
	for i := range 50 {
		tok := token(t, a, principal(i))
		if !slices.Contains(next, kidOf(t, tok)) {
			t.Fatalf("with the store down Token signs with %s, not a key the ring held (%q)", kidOf(t, tok), next)
		}
		serveJWKS(t, a)
		if i == 25 {
			clock.Add(4 * time.Second)
		}
	}
	if n := keys.reads.Load() - before; n != 1 {
		t.Errorf("%d store reads within 4 s of a failed one, want 1", n)
	}
	if !strings.Contains(logged.String(), "store down") {
		t.Errorf("the failed read was not logged: %q", logged.String())
	}
	clock.Add(2 * time.Second)
	token(t, a, principal(100))
	if n := keys.reads.Load() - before; n != 2 {
		t.Errorf("%d store reads 6 s after a failed one, want 2", n)
	}
	keys.fail.Store(false)
	clock.Add(6 * time.Second)
	token(t, a, principal(101))
	a.Maintain(t.Context()) // Run adds the key of the period after
	if got := kids(t, serveJWKS(t, a)); len(got) != 3 {
		t.Errorf("once the store is back the JWKS publishes %q, want 3 keys (previous, current, next)", got)
	}
}
