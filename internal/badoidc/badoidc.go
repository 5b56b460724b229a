// Package badoidc is a misbehaving OpenID provider for tests of a relying
// party: it signs, with go-jose, whatever token it is told to (another key,
// another issuer or audience, "alg": "none", an old expiry, a wrong nonce),
// rotates its keys when told to, and counts how often its keys are
// fetched.
//
// Its authorization endpoint signs nobody in: it sends the browser straight
// back to the redirect URI with a code. Its token endpoint checks the
// client secret and the PKCE verifier, then returns the ID token that Mint
// makes.
package badoidc

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Token is a token before signing: edit it in Mint's function.
type Token struct {
	// Alg is the signing algorithm: "RS256" by default, "HS256" (signed
	// with the client secret), or "none" (no signature at all).
	Alg string
	// KeyID is the header's kid; by default the provider's key's id.
	KeyID string
	// Key signs the token; by default the provider's key.
	Key *rsa.PrivateKey
	// Claims are the payload: iss, sub, aud, exp, iat, nonce, email and
	// email_verified are filled in.
	Claims map[string]any
}

// Provider is a running misbehaving provider.
type Provider struct {
	// URL is the issuer, as discovery says.
	URL          string
	ClientID     string
	ClientSecret string

	srv   *httptest.Server
	fetch atomic.Int64

	mu      sync.Mutex
	key     *rsa.PrivateKey // signs the tokens
	kid     string
	retired []jose.JSONWebKey // earlier keys the JWKS still serves
	rotated int
	mint    func(*Token)
	codes   map[string]grant
}

// grant is what the authorization endpoint remembers for a code.
type grant struct {
	nonce, challenge, subject string
}

// Start runs a provider on a loopback TLS server until the test ends. Its
// certificate is httptest's, trusted by Client.
func Start(tb testing.TB, clientID, clientSecret string) *Provider {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	p := &Provider{ClientID: clientID, ClientSecret: clientSecret, key: key, kid: "good-key", codes: map[string]grant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /keys", p.keys)
	p.srv = httptest.NewTLSServer(mux)
	tb.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	return p
}

// Client returns an HTTP client that trusts the provider's certificate.
func (p *Provider) Client() *http.Client { return p.srv.Client() }

// KeyFetches returns how many times the JWKS was fetched.
func (p *Provider) KeyFetches() int { return int(p.fetch.Load()) }

// Mint sets the function that edits every ID token before it is signed;
// nil issues honest tokens.
func (p *Provider) Mint(f func(*Token)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mint = f
}

// Rotate replaces the signing key with a new one under a new kid, as a
// provider rotating its keys does, and returns the previous key and its
// kid (to sign a token with it in Mint). The JWKS serves the new key and,
// when keepOld, the previous ones too; otherwise only the new key.
func (p *Provider) Rotate(tb testing.TB, keepOld bool) (old *rsa.PrivateKey, oldKID string) {
	tb.Helper()
	next := OtherKey(tb)
	p.mu.Lock()
	defer p.mu.Unlock()
	old, oldKID = p.key, p.kid
	if keepOld {
		p.retired = append(p.retired, publicJWK(old, oldKID))
	} else {
		p.retired = nil
	}
	p.rotated++
	p.key, p.kid = next, fmt.Sprintf("rotated-key-%d", p.rotated)
	return old, oldKID
}

func publicJWK(k *rsa.PrivateKey, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}
}

// NewToken returns an honest token for subject, as the token endpoint
// would issue it, unsigned, with the current key.
func (p *Provider) NewToken(subject, nonce string) *Token {
	now := time.Now()
	p.mu.Lock()
	key, kid := p.key, p.kid
	p.mu.Unlock()
	return &Token{Alg: "RS256", KeyID: kid, Key: key, Claims: map[string]any{
		"iss": p.URL, "sub": subject, "aud": p.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": nonce, "email": subject + "@bad.example", "email_verified": true,
	}}
}

// OtherKey returns a fresh RSA key that the provider's JWKS does not hold.
func OtherKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// Sign returns the compact serialization of t, signed as t says.
func (p *Provider) Sign(t *Token) (string, error) {
	payload, err := json.Marshal(t.Claims)
	if err != nil {
		return "", err
	}
	if t.Alg == "none" {
		head, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
		enc := base64.RawURLEncoding
		return enc.EncodeToString(head) + "." + enc.EncodeToString(payload) + ".", nil
	}
	var key any = t.Key
	if t.Alg == "HS256" {
		key = []byte(p.ClientSecret)
	}
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", t.KeyID)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(t.Alg), Key: key}, opts)
	if err != nil {
		return "", err
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": p.URL, "authorization_endpoint": p.URL + "/authorize", "token_endpoint": p.URL + "/token",
		"jwks_uri": p.URL + "/keys", "response_types_supported": []string{"code"},
		"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic"},
	})
}

// authorize sends the browser straight back with a code, as if "bad-user"
// had signed in.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.ClientID || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	p.mu.Lock()
	p.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), subject: "bad-user"}
	p.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token checks the client and the PKCE verifier, then issues the ID token.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	id, secret, _ := r.BasicAuth()
	p.mu.Lock()
	g, ok := p.codes[r.PostFormValue("code")]
	delete(p.codes, r.PostFormValue("code"))
	mint := p.mint
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	switch {
	case id != p.ClientID || secret != p.ClientSecret:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	case !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	t := p.NewToken(g.subject, g.nonce)
	if mint != nil {
		mint(t)
	}
	raw, err := p.Sign(t)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 300, "id_token": raw})
}

func (p *Provider) keys(w http.ResponseWriter, r *http.Request) {
	p.fetch.Add(1)
	p.mu.Lock()
	set := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey{publicJWK(p.key, p.kid)}, p.retired...)}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
