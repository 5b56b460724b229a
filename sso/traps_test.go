package sso_test

import (
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/internal/badoidc"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// TestTrapJWKSUnreachableFailsLoginKeepsSessions is named after the
// fail-closed lesson: when a provider's JWKS cannot be fetched, sign-in
// fails (503, audited as provider_unavailable, no session), while the
// sessions and API keys that exist keep working.
func TestTrapJWKSUnreachableFailsLoginKeepsSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		bad := badoidc.Start(t, "gatehouse", "bad-secret-long-enough-for-an-hs256-key")
		var down atomic.Bool
		var downFetches atomic.Int64
		a := newApp(t, open(t), []sso.ProviderConfig{{Name: "bad", Issuer: bad.URL, ClientID: "gatehouse",
			ClientSecret: "bad-secret-long-enough-for-an-hs256-key"}}, func(c *sso.Config) {
			base := c.HTTPClient.Transport
			c.HTTPClient = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
				if down.Load() && strings.HasSuffix(r.URL.Path, "/keys") {
					downFetches.Add(1)
					return nil, errors.New("JWKS unreachable")
				}
				return base.RoundTrip(r)
			})}
		})
		signedIn := a.browser()
		a.login(t, signedIn, "dev-author")
		key := a.apiKey(t, "dev-author")

		down.Store(true)
		b := a.browser()
		p := a.loginBad(t, b)
		if p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, "cannot be reached") {
			t.Errorf("login with the JWKS down: %d, want 503 saying the provider cannot be reached\n%s", p.status, p.body)
		}
		if got := a.failures(t); len(got) != 1 || got[0] != "provider_unavailable" {
			t.Errorf("audited %q, want provider_unavailable", got)
		}
		if status, _ := a.me(t, b); status != http.StatusUnauthorized {
			t.Errorf("a session was started with the JWKS down: /api/me = %d", status)
		}
		// A second try within the refetch limit does not fetch, and is
		// still the provider's failure, not the token's.
		if p := a.loginBad(t, a.browser()); p.status != http.StatusServiceUnavailable {
			t.Errorf("second login with the JWKS down: %d, want 503", p.status)
		}
		if n := downFetches.Load(); n != 1 {
			t.Errorf("%d JWKS fetches while it was down, want 1: a failed fetch must not be retried on every sign-in", n)
		}
		if status, v := a.me(t, signedIn); status != http.StatusOK || v.Method != "session" {
			t.Errorf("existing session with the JWKS down: %d %+v", status, v)
		}
		if status := a.meWithKey(t, key); status != http.StatusOK {
			t.Errorf("API key with the JWKS down: %d", status)
		}

		// The provider is back: once the retry interval (five seconds
		// while no key is held) has passed, the same sign-in works.
		down.Store(false)
		a.clock.Add(6 * time.Second)
		if p := a.loginBad(t, b); p.status != http.StatusOK {
			t.Fatalf("login with the JWKS back: %d\n%s", p.status, p.body)
		}
	})
}

// apiKey stores a read key for the user subject signed in as and returns
// its text.
func (a *app) apiKey(t testing.TB, subject string) string {
	t.Helper()
	u, err := a.store.UserByIdentity(t.Context(), a.dev.Issuer(), subject)
	if err != nil {
		t.Fatal(err)
	}
	k, err := apikey.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	stored := &gatehouse.APIKey{ID: k.ID, UserID: u.ID, Label: "test", Prefix: k.DisplayPrefix(), Hash: k.Hash(),
		Scopes: gatehouse.NewScopes(gatehouse.ScopeRead), Created: a.clock.Now()}
	if err := a.store.CreateKey(t.Context(), stored); err != nil {
		t.Fatal(err)
	}
	return k.String()
}

// meWithKey returns the status of GET /api/me with key as the bearer.
func (a *app) meWithKey(t testing.TB, key string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.srv.URL+"/api/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestTrapCrossOriginProtectionLetsHeaderlessThroughLogout: Logout's
// http.CrossOriginProtection alone would let a cookie POST that carries
// neither Origin nor Sec-Fetch-Site through; such a logout is refused and
// the session goes on.
func TestTrapCrossOriginProtectionLetsHeaderlessThroughLogout(t *testing.T) {
	a := newApp(t, sqliteStore(t), nil, nil)
	b := a.browser()
	a.login(t, b, "dev-reader")
	req, err := http.NewRequest(http.MethodPost, a.srv.URL+"/auth/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range b.Jar.Cookies(mustURL(a.srv.URL)) {
		req.AddCookie(c)
	}
	client := a.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("headerless logout: %d, Set-Cookie %q; want 403 and none", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
	if status, _ := a.me(t, b); status != http.StatusOK {
		t.Errorf("the session after a headerless logout: %d, want 200", status)
	}
}
