package sso_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/badoidc"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// badApp is an app with the misbehaving provider registered as "bad".
func badApp(t testing.TB, st gatehouse.Store) (*app, *badoidc.Provider) {
	t.Helper()
	bad := badoidc.Start(t, "gatehouse", "bad-secret-long-enough-for-an-hs256-key")
	a := newApp(t, st, []sso.ProviderConfig{{Name: "bad", Issuer: bad.URL, ClientID: "gatehouse", ClientSecret: "bad-secret-long-enough-for-an-hs256-key"}}, nil)
	return a, bad
}

// loginBad signs in through the bad provider, which sends the browser
// straight back to the callback.
func (a *app) loginBad(t testing.TB, b *browser) page {
	t.Helper()
	return b.get(t, a.srv.URL+"/auth/login?provider=bad&return_to=/x")
}

// TestIDTokenVerification signs the ID token wrongly in every way the
// relying party must catch: each ends on the error page, with no session,
// audited with the reason.
func TestIDTokenVerification(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a, bad := badApp(t, open(t))
		now := time.Now()
		cases := []badToken{
			{"wrong nonce", "nonce", func(tk *badoidc.Token) { tk.Claims["nonce"] = "not-the-nonce" }},
			{"no nonce", "nonce", func(tk *badoidc.Token) { delete(tk.Claims, "nonce") }},
			{"signed by unknown key", "id_token", func(tk *badoidc.Token) { tk.Key, tk.KeyID = badoidc.OtherKey(t), "rotated" }},
			{"unknown key with the known kid", "id_token", func(tk *badoidc.Token) { tk.Key = badoidc.OtherKey(t) }},
			{"alg none", "id_token", func(tk *badoidc.Token) { tk.Alg = "none" }},
			{"alg HS256 with the client secret", "id_token", func(tk *badoidc.Token) { tk.Alg = "HS256" }},
			{"wrong audience", "id_token", func(tk *badoidc.Token) { tk.Claims["aud"] = "someone-else" }},
			{"wrong issuer", "id_token", func(tk *badoidc.Token) { tk.Claims["iss"] = "https://evil.example" }},
			{"expired", "id_token", func(tk *badoidc.Token) {
				tk.Claims["iat"], tk.Claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
			}},
			{"issued in the future", "iat", func(tk *badoidc.Token) { tk.Claims["iat"] = now.Add(time.Hour).Unix() }},
			{"no iat (OpenID Connect Core 2: required)", "iat", func(tk *badoidc.Token) { delete(tk.Claims, "iat") }},
			{"several audiences without azp", "azp", func(tk *badoidc.Token) { tk.Claims["aud"] = []string{"gatehouse", "other"} }},
			{"azp of another client", "azp", func(tk *badoidc.Token) { tk.Claims["azp"] = "other" }},
		}
		a.refusesTokens(t, bad, cases)
	})
}

// badToken is an ID token the relying party must refuse: how it is
// minted wrong, and the audit reason.
type badToken struct {
	name, reason string
	mint         func(*badoidc.Token)
}

// refusesTokens signs in through bad with each token: each ends on the
// error page, with no session, audited with the reason. Then an honest
// token signs in, so that the failures were the tokens', not the setup's.
func (a *app) refusesTokens(t *testing.T, bad *badoidc.Provider, cases []badToken) {
	t.Helper()
	for _, tc := range cases {
		bad.Mint(tc.mint)
		b := a.browser()
		p := a.loginBad(t, b)
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Sign-in failed") {
			t.Errorf("%s: %d\n%s", tc.name, p.status, p.body)
		}
		if status, _ := a.me(t, b); status != http.StatusUnauthorized {
			t.Errorf("%s: a session was started", tc.name)
		}
		if got := a.failures(t); len(got) == 0 || got[len(got)-1] != tc.reason {
			t.Errorf("%s: audited %q, want %s last", tc.name, got, tc.reason)
		}
	}
	bad.Mint(nil)
	b := a.browser()
	if p := a.loginBad(t, b); p.status != http.StatusOK {
		t.Fatalf("honest token: %d\n%s", p.status, p.body)
	}
	if status, v := a.me(t, b); status != http.StatusOK || v.Email != "bad-user@bad.example" {
		t.Fatalf("honest token: /api/me %d %+v", status, v)
	}
}

// TestTrapGoOIDCDoesNotCheckNonce is named after the go-oidc trap:
// IDTokenVerifier.Verify does not check the nonce (its comment leaves it
// to the caller), so a token minted for another flow would pass it. The
// relying party checks the nonce itself.
func TestTrapGoOIDCDoesNotCheckNonce(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a, bad := badApp(t, open(t))
		a.refusesTokens(t, bad, []badToken{
			{"another flow's nonce", "nonce", func(tk *badoidc.Token) { tk.Claims["nonce"] = "another-flows-nonce" }},
			{"no nonce", "nonce", func(tk *badoidc.Token) { delete(tk.Claims, "nonce") }},
			{"empty nonce", "nonce", func(tk *badoidc.Token) { tk.Claims["nonce"] = "" }},
		})
	})
}

// TestTrapGoOIDCDoesNotCheckAZPOrIAT is named after the go-oidc trap:
// Verify checks neither azp nor iat, so the relying party does.
func TestTrapGoOIDCDoesNotCheckAZPOrIAT(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a, bad := badApp(t, open(t))
		a.refusesTokens(t, bad, []badToken{
			{"azp of another client", "azp", func(tk *badoidc.Token) { tk.Claims["azp"] = "other" }},
			{"several audiences without azp", "azp", func(tk *badoidc.Token) { tk.Claims["aud"] = []string{"gatehouse", "other"} }},
			{"no iat", "iat", func(tk *badoidc.Token) { delete(tk.Claims, "iat") }},
			{"iat in the future", "iat", func(tk *badoidc.Token) { tk.Claims["iat"] = time.Now().Add(time.Hour).Unix() }},
		})
	})
}

// TestTrapGoOIDCSigningAlgsNotPinned is named after the advice to pin
// SupportedSigningAlgs: whatever the token's header says, only the
// asymmetric algorithms the provider advertises verify. "none", and HS256
// keyed with the client secret (which the relying party knows, so anyone
// holding it could mint tokens), are refused.
func TestTrapGoOIDCSigningAlgsNotPinned(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a, bad := badApp(t, open(t))
		a.refusesTokens(t, bad, []badToken{
			{"alg none", "id_token", func(tk *badoidc.Token) { tk.Alg = "none" }},
			{"alg HS256 with the client secret", "id_token", func(tk *badoidc.Token) { tk.Alg = "HS256" }},
		})
	})
}

// TestTrapRemoteKeySetRefetchesOnEveryUnknownKid is named after the
// go-oidc trap: its RemoteKeySet refetches the JWKS for every unknown kid,
// so tokens with random kids make the relying party hammer the provider.
// Here the keys are fetched at most once a minute.
func TestTrapRemoteKeySetRefetchesOnEveryUnknownKid(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a, bad := badApp(t, open(t))
		n := 0
		bad.Mint(func(tk *badoidc.Token) { n++; tk.KeyID = "random-" + string(rune('a'+n)) })
		for range 5 {
			if p := a.loginBad(t, a.browser()); p.status != http.StatusBadRequest {
				t.Fatalf("unknown kid accepted: %d", p.status)
			}
		}
		if got := bad.KeyFetches(); got != 1 {
			t.Fatalf("five unknown kids fetched the keys %d times, want 1", got)
		}
		a.clock.Add(61 * time.Second)
		a.loginBad(t, a.browser())
		a.loginBad(t, a.browser())
		if got := bad.KeyFetches(); got != 2 {
			t.Fatalf("after a minute: %d fetches, want 2", got)
		}
	})
}

// TestKeyRotation: after the provider rotates its signing key, a token
// with the new kid is accepted as soon as the refetch limit lets the keys
// be fetched again (not before: that limit is what keeps made-up kids from
// hammering the provider). A key the provider still publishes keeps
// working; one it no longer publishes stops at the next fetch, because a
// fetch replaces the set rather than adding to it.
func TestKeyRotation(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a, bad := badApp(t, open(t))
		login := func(step string, want int) {
			t.Helper()
			b := a.browser()
			p := a.loginBad(t, b)
			status, _ := a.me(t, b)
			if p.status != want || (want == http.StatusOK) != (status == http.StatusOK) {
				t.Fatalf("%s: login %d, /api/me %d; want login %d", step, p.status, status, want)
			}
		}
		login("before rotation", http.StatusOK)
		first, firstKID := bad.Rotate(t, true)
		login("new kid within the refetch limit", http.StatusBadRequest)
		a.clock.Add(61 * time.Second)
		login("new kid after the refetch limit", http.StatusOK)
		if got := bad.KeyFetches(); got != 2 {
			t.Errorf("%d key fetches, want 2", got)
		}
		bad.Mint(func(tk *badoidc.Token) { tk.Key, tk.KeyID = first, firstKID })
		login("the old key, still published", http.StatusOK)

		bad.Mint(nil)
		bad.Rotate(t, false) // the first two keys are withdrawn
		a.clock.Add(61 * time.Second)
		login("the newest kid", http.StatusOK)
		bad.Mint(func(tk *badoidc.Token) { tk.Key, tk.KeyID = first, firstKID })
		login("the first key, withdrawn", http.StatusBadRequest)
		if got := a.failures(t); got[len(got)-1] != "id_token" {
			t.Errorf("withdrawn key audited as %q", got)
		}
	})
}

// TestBackchannelLogoutTokenValidation posts logout tokens that break one
// rule of Back-Channel Logout 1.0 each: all are refused with 400 and end
// nothing; a valid one (by sub) ends the session, and once only.
func TestBackchannelLogoutTokenValidation(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a, bad := badApp(t, open(t))
		b := a.browser()
		if p := a.loginBad(t, b); p.status != http.StatusOK {
			t.Fatalf("login: %d", p.status)
		}
		valid := func() *badoidc.Token {
			tk := bad.NewToken("bad-user", "")
			delete(tk.Claims, "nonce")
			tk.Claims["jti"] = time.Now().String()
			tk.Claims["events"] = map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}}
			return tk
		}
		cases := map[string]func(*badoidc.Token){
			"no events":           func(tk *badoidc.Token) { delete(tk.Claims, "events") },
			"other event":         func(tk *badoidc.Token) { tk.Claims["events"] = map[string]any{"urn:other": map[string]any{}} },
			"with a nonce":        func(tk *badoidc.Token) { tk.Claims["nonce"] = "n" },
			"neither sid nor sub": func(tk *badoidc.Token) { delete(tk.Claims, "sub") },
			"no jti":              func(tk *badoidc.Token) { delete(tk.Claims, "jti") },
			"wrong audience":      func(tk *badoidc.Token) { tk.Claims["aud"] = "other" },
			"wrong issuer":        func(tk *badoidc.Token) { tk.Claims["iss"] = "https://evil.example" },
			"unknown key":         func(tk *badoidc.Token) { tk.Key = badoidc.OtherKey(t) },
			"alg none":            func(tk *badoidc.Token) { tk.Alg = "none" },
			"expired":             func(tk *badoidc.Token) { tk.Claims["exp"] = time.Now().Add(-time.Minute).Unix() },
		}
		post := func(tk *badoidc.Token) int {
			raw, err := bad.Sign(tk)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := a.srv.Client().PostForm(a.srv.URL+"/auth/backchannel-logout/bad", url.Values{"logout_token": {raw}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		for name, edit := range cases {
			tk := valid()
			edit(tk)
			if got := post(tk); got != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", name, got)
			}
		}
		if status, _ := a.me(t, b); status != http.StatusOK {
			t.Fatalf("an invalid logout token ended the session: %d", status)
		}
		tk := valid()
		if got := post(tk); got != http.StatusOK {
			t.Fatalf("valid logout token: %d", got)
		}
		if status, _ := a.me(t, b); status != http.StatusUnauthorized {
			t.Fatalf("valid logout token did not end the session: %d", status)
		}
		if got := post(tk); got != http.StatusBadRequest {
			t.Errorf("replayed logout token: %d, want 400", got)
		}
	})
}
