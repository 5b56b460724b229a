package gateway

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// The signature algorithms of identity assertions (RFC 7518, RFC 8037).
const (
	AlgEdDSA = "EdDSA" // Ed25519
	AlgES256 = "ES256" // ECDSA P-256 with SHA-256
)

// signingKey is one key of the assertion key ring, parsed from its
// gatehouse.AssertionKey.
type signingKey struct {
	kid       string
	alg       string
	ed        ed25519.PrivateKey
	ec        *ecdsa.PrivateKey
	jwk       publicJWK
	hdr       string    // the encoded JWS protected header
	notBefore time.Time // it signs from notBefore
	notAfter  time.Time // until notAfter
}

// publicJWK is a public key as the JWKS publishes it (RFC 7517).
type publicJWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

var b64 = base64.RawURLEncoding

// checkAlg refuses an algorithm other than EdDSA and ES256.
func checkAlg(alg string) error {
	if alg != AlgEdDSA && alg != AlgES256 {
		return fmt.Errorf("gateway: unknown assertion algorithm %q (want %s or %s)", alg, AlgEdDSA, AlgES256)
	}
	return nil
}

// newStoredKey generates a key of alg, named by its RFC 7638 thumbprint,
// that signs in [nb, na) and stays published until expires. It returns
// the key to store and the key parsed.
func newStoredKey(alg string, nb, na, expires time.Time) (*gatehouse.AssertionKey, *signingKey, error) {
	var priv any
	var err error
	if alg == AlgEdDSA {
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	} else {
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("gateway: generate %s key: %w", alg, err)
	}
	sk, err := fromPrivate(alg, priv)
	if err != nil {
		return nil, nil, fmt.Errorf("gateway: new assertion key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("gateway: encode %s key: %w", alg, err)
	}
	sk.notBefore, sk.notAfter = nb, na
	return &gatehouse.AssertionKey{KID: sk.kid, Alg: alg, PrivateKey: der, NotBefore: nb, NotAfter: na, Expires: expires}, sk, nil
}

// parseKey reads a stored key. A key whose type does not match its
// algorithm, or whose thumbprint is not its kid, is refused.
func parseKey(k *gatehouse.AssertionKey) (*signingKey, error) {
	priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("gateway: assertion key %s: %w", k.KID, err)
	}
	sk, err := fromPrivate(k.Alg, priv)
	if err != nil {
		return nil, fmt.Errorf("gateway: assertion key %s: %w", k.KID, err)
	}
	if sk.kid != k.KID {
		return nil, fmt.Errorf("gateway: assertion key %s: its thumbprint is %s", k.KID, sk.kid)
	}
	sk.notBefore, sk.notAfter = k.NotBefore, k.NotAfter
	return sk, nil
}

// fromPrivate makes the signing key of priv for alg, named by the RFC 7638
// thumbprint of its public key.
func fromPrivate(alg string, priv any) (*signingKey, error) {
	k := &signingKey{alg: alg}
	switch priv := priv.(type) {
	case ed25519.PrivateKey:
		k.ed = priv
		k.jwk = publicJWK{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(priv.Public().(ed25519.PublicKey))}
	case *ecdsa.PrivateKey:
		pt, err := priv.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil || priv.Curve != elliptic.P256() {
			return nil, fmt.Errorf("not a P-256 key")
		}
		k.ec = priv
		k.jwk = publicJWK{Kty: "EC", Crv: "P-256", X: b64.EncodeToString(pt[1:33]), Y: b64.EncodeToString(pt[33:65])}
	default:
		return nil, fmt.Errorf("a %T is neither an Ed25519 nor an ECDSA key", priv)
	}
	if (alg == AlgEdDSA) != (k.ed != nil) || (alg == AlgES256) != (k.ec != nil) {
		return nil, fmt.Errorf("a %T is not a %s key", priv, alg)
	}
	k.kid = thumbprint(k.jwk)
	k.jwk.Kid, k.jwk.Alg, k.jwk.Use = k.kid, alg, "sig"
	k.hdr = k.header()
	return k, nil
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of a public key: the
// hash of its required members, in lexical order, without spaces.
func thumbprint(j publicJWK) string {
	var s string
	if j.Kty == "EC" {
		s = fmt.Sprintf(`{"crv":%q,"kty":%q,"x":%q,"y":%q}`, j.Crv, j.Kty, j.X, j.Y)
	} else {
		s = fmt.Sprintf(`{"crv":%q,"kty":%q,"x":%q}`, j.Crv, j.Kty, j.X)
	}
	sum := sha256.Sum256([]byte(s))
	return b64.EncodeToString(sum[:])
}

// sign returns the JWS signature of input (RFC 7515): Ed25519's, or
// ECDSA's r and s as two 32-byte big-endian numbers.
func (k *signingKey) sign(input []byte) ([]byte, error) {
	if k.ed != nil {
		return ed25519.Sign(k.ed, input), nil
	}
	digest := sha256.Sum256(input)
	r, s, err := ecdsa.Sign(rand.Reader, k.ec, digest[:])
	if err != nil {
		return nil, fmt.Errorf("gateway: sign assertion: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

// header is the key's encoded JWS protected header.
func (k *signingKey) header() string {
	h, _ := json.Marshal(struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid"`
	}{k.alg, "JWT", k.kid}) // cannot fail: three strings
	return b64.EncodeToString(h)
}

// jwks encodes keys as a JSON Web Key Set.
func jwks(keys []*signingKey) ([]byte, error) {
	set := struct {
		Keys []publicJWK `json:"keys"`
	}{Keys: []publicJWK{}}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.jwk)
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("gateway: encode JWKS: %w", err)
	}
	return b, nil
}
