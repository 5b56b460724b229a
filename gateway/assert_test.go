package gateway_test

import (
	"crypto"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/gateway"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// gatehouseClaims are the claims beyond the registered ones.
type gatehouseClaims struct {
	Email  string `json:"email"`
	Role   string `json:"role"`
	Method string `json:"auth_method"`
	KeyID  string `json:"key_id"`
	Scope  string `json:"scope"`
}

// verify checks token against the JWKS with go-jose, an implementation
// independent of Gatehouse's, and returns its claims.
func verify(t *testing.T, jwks []byte, token string, alg jose.SignatureAlgorithm, now time.Time) (jwt.Claims, gatehouseClaims) {
	t.Helper()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{alg})
	if err != nil {
		t.Fatalf("ParseSigned: %v", err)
	}
	kid := tok.Headers[0].KeyID
	keys := set.Key(kid)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not in the JWKS", kid)
	}
	if keys[0].Algorithm != string(alg) || keys[0].Use != "sig" || !keys[0].IsPublic() {
		t.Errorf("JWK %+v", keys[0])
	}
	if tp, _ := keys[0].Thumbprint(crypto.SHA256); base64.RawURLEncoding.EncodeToString(tp) != kid {
		t.Errorf("kid %q is not the key's RFC 7638 thumbprint", kid)
	}
	var std jwt.Claims
	var gh gatehouseClaims
	if err := tok.Claims(keys[0].Key, &std, &gh); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: "gatehouse", Time: now}, 0); err != nil {
		t.Fatalf("claims: %v", err)
	}
	return std, gh
}

// TestAssertionVerifiedIndependently: the upstream receives an assertion
// that go-jose verifies against the gateway's published JWKS, for both
// algorithms.
func TestAssertionVerifiedIndependently(t *testing.T) {
	for _, alg := range []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256} {
		t.Run(string(alg), func(t *testing.T) {
			a, err := gateway.NewAssertions(t.Context(), gateway.AssertionConfig{Algorithm: string(alg)})
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, envOpts{adjust: func(c *gateway.Config) { c.Assertions = a }})
			key := e.key(gatehouse.RoleAuthor, gatehouse.ScopeRead, gatehouse.ScopeWrite)
			e.do("GET", "/api/x", key, "X-Gatehouse-Assertion", "forged")
			tokens := e.up.take()[0].Header.Values(gateway.DefaultAssertionHeader)
			if len(tokens) != 1 || tokens[0] == "forged" {
				t.Fatalf("assertion headers %q", tokens)
			}
			resp := e.do("GET", gateway.JWKSPath, "")
			jwks, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
				t.Fatalf("JWKS: %d %v", resp.StatusCode, resp.Header)
			}
			std, gh := verify(t, jwks, tokens[0], alg, time.Now())
			if std.Subject != "1" || !std.Audience.Contains(e.up.URL) || std.Expiry.Time().Sub(std.IssuedAt.Time()) != 5*time.Minute {
				t.Errorf("claims %+v", std)
			}
			if gh.Role != "author" || gh.Scope != "read write" || gh.Method != "apikey" || gh.Email != "svc1@example.com" || !strings.Contains(key, gh.KeyID) {
				t.Errorf("claims %+v", gh)
			}
			e.do("GET", "/public/x", "")
			if v := e.up.take()[0].Header.Values(gateway.DefaultAssertionHeader); len(v) != 0 {
				t.Errorf("anonymous request carries an assertion: %q", v)
			}
		})
	}
}

// TestAssertionKeyRotation: the key that signs after a rotation was in the
// JWKS a whole period before, and the retired one stays a period after, so
// a verifier that caches the JWKS never meets an unknown key.
func TestAssertionKeyRotation(t *testing.T) {
	clock := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	a, err := gateway.NewAssertions(t.Context(), gateway.AssertionConfig{Now: clock.Now, RotateEvery: time.Hour, Lifetime: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	p := &gatehouse.Principal{UserID: 7, Role: gatehouse.RoleReader, Method: gatehouse.MethodAPIKey, KeyID: "k", Scopes: gatehouse.NewScopes("read")}
	jwksBefore := serveJWKS(t, a)
	var kids []string
	for range 3 {
		tok, err := a.Token(t.Context(), p, "https://upstream")
		if err != nil {
			t.Fatal(err)
		}
		verify(t, jwksBefore, tok, jose.EdDSA, clock.Now()) // the JWKS cached a period ago still verifies it
		tokJWT, _ := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.EdDSA})
		kids = append(kids, tokJWT.Headers[0].KeyID)
		jwksNow := serveJWKS(t, a)
		verify(t, jwksNow, tok, jose.EdDSA, clock.Now())
		jwksBefore = jwksNow
		clock.Add(time.Hour)
		a.Maintain(t.Context()) // as Run does every ReloadEvery
	}
	if kids[0] == kids[1] || kids[1] == kids[2] {
		t.Errorf("no rotation: %q", kids)
	}
	// One more rotation happens now: kids[2] is retired but published, the
	// two before it are gone.
	if set := string(serveJWKS(t, a)); strings.Contains(set, kids[0]) || strings.Contains(set, kids[1]) || !strings.Contains(set, kids[2]) {
		t.Errorf("the JWKS should hold %s but neither %s nor %s: %s", kids[2], kids[0], kids[1], set)
	}
}

// TestAssertionCache: one signature per principal and half lifetime.
func TestAssertionCache(t *testing.T) {
	clock := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	a, _ := gateway.NewAssertions(t.Context(), gateway.AssertionConfig{Now: clock.Now})
	p := &gatehouse.Principal{UserID: 7, Role: gatehouse.RoleReader, Method: gatehouse.MethodAPIKey, KeyID: "k"}
	same := *p
	t1, _ := a.Token(t.Context(), p, "aud")
	t2, _ := a.Token(t.Context(), &same, "aud")
	if t1 != t2 {
		t.Error("the same principal was signed twice")
	}
	other := *p
	other.Role = gatehouse.RoleAdmin
	if t3, _ := a.Token(t.Context(), &other, "aud"); t3 == t1 {
		t.Error("a principal whose role changed got the old assertion")
	}
	if t4, _ := a.Token(t.Context(), p, "other-aud"); t4 == t1 {
		t.Error("another audience got the same assertion")
	}
	clock.Add(150 * time.Second)
	if t5, _ := a.Token(t.Context(), p, "aud"); t5 == t1 {
		t.Error("an assertion with half its lifetime gone was reused")
	}
}

func TestAssertionConfigRefused(t *testing.T) {
	for _, c := range []gateway.AssertionConfig{
		{Algorithm: "HS256"}, {Algorithm: "none"}, {Lifetime: time.Hour, RotateEvery: time.Minute}, {Lifetime: -1},
		{Lifetime: time.Minute, RotateEvery: time.Hour, ReloadEvery: time.Hour},
	} {
		if _, err := gateway.NewAssertions(t.Context(), c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

func serveJWKS(t *testing.T, a *gateway.Assertions) []byte {
	t.Helper()
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest("GET", gateway.JWKSPath, nil))
	return w.Body.Bytes()
}
