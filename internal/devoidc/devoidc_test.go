package devoidc_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse/internal/devoidc"
)

// rig is a provider on an httptest TLS server, and a client callback that
// records what the provider sent back.
type rig struct {
	p        *devoidc.Provider
	srv      *httptest.Server
	callback chan url.Values
	logouts  chan string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	r := &rig{srv: srv, callback: make(chan url.Values, 1), logouts: make(chan string, 1)}
	mux.HandleFunc("/cb", func(w http.ResponseWriter, req *http.Request) { r.callback <- req.URL.Query() })
	mux.HandleFunc("POST /bcl", func(w http.ResponseWriter, req *http.Request) { r.logouts <- req.PostFormValue("logout_token") })
	p, err := devoidc.New(devoidc.Config{
		Issuer: srv.URL + "/dev-oidc",
		Clients: []devoidc.Client{{ID: "rp", Secret: "s3cret", RedirectURIs: []string{srv.URL + "/cb"},
			BackchannelLogoutURI: srv.URL + "/bcl"}},
		HTTPClient: srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/dev-oidc/", p)
	r.p = p
	return r
}

func (r *rig) oauth(t *testing.T, ctx context.Context) (*oidc.Provider, *oauth2.Config) {
	t.Helper()
	prov, err := oidc.NewProvider(ctx, r.p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	return prov, &oauth2.Config{ClientID: "rp", ClientSecret: "s3cret", Endpoint: prov.Endpoint(),
		RedirectURL: r.srv.URL + "/cb", Scopes: []string{oidc.ScopeOpenID, "email", "profile", "groups"}}
}

var formID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// signIn follows the authorization URL to the sign-in page and picks the
// person; it returns the code the provider sent to the callback.
func (r *rig) signIn(t *testing.T, authURL, subject string) url.Values {
	t.Helper()
	c := r.srv.Client()
	c.Jar, _ = cookiejar.New(nil)
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formID.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no sign-in form (status %d): %s", resp.StatusCode, body)
	}
	if _, err := c.PostForm(r.p.Issuer()+"/login", url.Values{"id": {string(m[1])}, "subject": {subject}}); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-r.callback:
		return v
	default:
		t.Fatal("the provider did not redirect to the callback")
		return nil
	}
}

func TestSignInIssuesVerifiableIDToken(t *testing.T) {
	r := newRig(t)
	ctx := oidc.ClientContext(t.Context(), r.srv.Client())
	prov, conf := r.oauth(t, ctx)
	verifier := oauth2.GenerateVerifier()
	got := r.signIn(t, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n1")), "dev-editor")
	if got.Get("state") != "st" {
		t.Fatalf("state = %q", got.Get("state"))
	}
	tok, err := conf.Exchange(ctx, got.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := prov.VerifierContext(ctx, &oidc.Config{ClientID: "rp"}).Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Email    string   `json:"email"`
		Verified bool     `json:"email_verified"`
		Groups   []string `json:"groups"`
		SID      string   `json:"sid"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != "dev-editor" || idt.Nonce != "n1" || claims.Email != "editor@example.com" || !claims.Verified ||
		len(claims.Groups) != 1 || claims.Groups[0] != "editors" || claims.SID == "" {
		t.Fatalf("claims: sub %q nonce %q %+v", idt.Subject, idt.Nonce, claims)
	}
}

func TestExchangeWithoutVerifierIsRefused(t *testing.T) {
	r := newRig(t)
	ctx := oidc.ClientContext(t.Context(), r.srv.Client())
	_, conf := r.oauth(t, ctx)
	got := r.signIn(t, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "dev-reader")
	if _, err := conf.Exchange(ctx, got.Get("code")); err == nil || !strings.Contains(err.Error(), "code_verifier") {
		t.Fatalf("exchange without verifier: %v", err)
	}
}

func TestAuthorizeWithoutPKCEIsRefused(t *testing.T) {
	r := newRig(t)
	_, conf := r.oauth(t, oidc.ClientContext(t.Context(), r.srv.Client()))
	c := r.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(conf.AuthCodeURL("st"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc == nil || loc.Query().Get("error") != "invalid_request" {
		t.Fatalf("authorize without PKCE: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestLogoutSendsLogoutToken(t *testing.T) {
	r := newRig(t)
	ctx := oidc.ClientContext(t.Context(), r.srv.Client())
	_, conf := r.oauth(t, ctx)
	r.signIn(t, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), "dev-author")
	if err := r.p.Logout(ctx, "dev-author"); err != nil {
		t.Fatal(err)
	}
	if tok := <-r.logouts; strings.Count(tok, ".") != 2 {
		t.Fatalf("logout token %q is not a JWS", tok)
	}
}
