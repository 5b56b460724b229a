package sso

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse"
)

// discoveryRetry is the least time between two failed discoveries of one
// provider, so that a burst of logins does not hammer a provider that is
// down.
const discoveryRetry = 5 * time.Second

// clockSkew is how far in the future an iat may be.
const clockSkew = time.Minute

// verifiableAlgs are the algorithms Gatehouse verifies: asymmetric only.
// "none" and the HMAC algorithms are never accepted, whatever a provider
// advertises.
var verifiableAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

// oidcProvider is an OpenID Connect provider, discovered on first use.
type oidcProvider struct {
	c        ProviderConfig
	redirect string
	client   *http.Client
	now      func() time.Time
	every    time.Duration // JWKS refetch limit

	mu      sync.Mutex
	d       *discovered
	lastTry time.Time
}

// discovered is what discovery tells about a provider.
type discovered struct {
	oauth      *oauth2.Config
	verifier   *oidc.IDTokenVerifier
	keys       *keySet // the verifier's
	endSession string
}

func (p *oidcProvider) config() *ProviderConfig { return &p.c }

// discover returns the provider's metadata, fetching it the first time.
// A provider that cannot be reached is CodeUnavailable: login fails, and
// existing sessions are not affected.
func (p *oidcProvider) discover(ctx context.Context) (*discovered, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d != nil {
		return p.d, nil
	}
	if now := p.now(); now.Sub(p.lastTry) < discoveryRetry {
		return nil, failure("provider_unavailable", gatehouse.Errorf(gatehouse.CodeUnavailable, "The sign-in provider cannot be reached; try again shortly."))
	} else {
		p.lastTry = now
	}
	d, err := p.fetchDiscovery(ctx)
	if err != nil {
		return nil, failure("provider_unavailable", fmt.Errorf("sso: discover %s: %w: %w", p.c.Issuer, err,
			gatehouse.Errorf(gatehouse.CodeUnavailable, "The sign-in provider cannot be reached; try again shortly.")))
	}
	p.d = d
	return d, nil
}

func (p *oidcProvider) fetchDiscovery(ctx context.Context) (*discovered, error) {
	ctx = oidc.ClientContext(ctx, p.client)
	op, err := oidc.NewProvider(ctx, p.c.Issuer) // checks that the document names this issuer
	if err != nil {
		return nil, err
	}
	var meta struct {
		JWKS       string   `json:"jwks_uri"`
		Algs       []string `json:"id_token_signing_alg_values_supported"`
		EndSession string   `json:"end_session_endpoint"`
	}
	if err := op.Claims(&meta); err != nil {
		return nil, err
	}
	algs := pinAlgs(meta.Algs)
	if len(algs) == 0 {
		return nil, fmt.Errorf("no supported signing algorithm among %q", meta.Algs)
	}
	if meta.EndSession != "" && checkHTTPS(p.c.Name, "end_session_endpoint", meta.EndSession, true) != nil {
		meta.EndSession = ""
	}
	keys := newKeySet(meta.JWKS, p.client, algs, p.now, p.every)
	v := oidc.NewVerifier(p.c.Issuer, keys, &oidc.Config{ClientID: p.c.ClientID, SupportedSigningAlgs: algs, Now: p.now})
	scopes := []string{oidc.ScopeOpenID, "email", "profile"}
	return &discovered{oauth: oauthConfig(&p.c, op.Endpoint(), p.redirect, scopes), verifier: v, keys: keys, endSession: meta.EndSession}, nil
}

// pinAlgs returns the advertised algorithms that Gatehouse verifies. An
// empty list means RS256, the default of OpenID Connect Discovery.
func pinAlgs(advertised []string) []string {
	if len(advertised) == 0 {
		return []string{oidc.RS256}
	}
	var out []string
	for _, a := range advertised {
		if slices.Contains(verifiableAlgs, a) && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

func (p *oidcProvider) authURL(ctx context.Context, f *gatehouse.LoginFlow) (string, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	return d.oauth.AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce)), nil
}

func (p *oidcProvider) identify(ctx context.Context, code string, f *gatehouse.LoginFlow) (*identity, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	ctx = oidc.ClientContext(ctx, p.client)
	tok, err := d.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, failure("exchange", fmt.Errorf("sso: exchange code with %s: %w", p.c.Name, err))
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, failure("no_id_token", fmt.Errorf("sso: %s returned no ID token", p.c.Name))
	}
	return p.verify(ctx, d, raw, f.Nonce)
}

// verify checks an ID token. go-oidc checks the signature (with the pinned
// algorithms), iss, aud and exp; the nonce, azp and iat are checked here,
// because go-oidc leaves them to the caller.
func (p *oidcProvider) verify(ctx context.Context, d *discovered, raw, nonce string) (*identity, error) {
	var sigErr error // the key set's own error, which go-oidc flattens into a string
	idt, err := d.verifier.Verify(context.WithValue(ctx, sigErrSlot{}, &sigErr), raw)
	if err != nil {
		// A provider whose keys cannot be fetched is unavailable (try again
		// later), not the sender of a bad token. A token refused on its
		// claims, which go-oidc checks first, never reached the key set.
		reason := "id_token"
		if gatehouse.ErrorCode(sigErr) == gatehouse.CodeUnavailable {
			reason, err = "provider_unavailable", sigErr
		}
		return nil, failure(reason, fmt.Errorf("sso: verify ID token from %s: %w", p.c.Name, err))
	}
	var c struct {
		Email    string `json:"email"`
		Verified any    `json:"email_verified"` // some providers send "true"
		Name     string `json:"name"`
		AZP      string `json:"azp"`
		SID      string `json:"sid"`
	}
	claims := map[string]any{}
	if err := idt.Claims(&c); err != nil {
		return nil, failure("id_token", fmt.Errorf("sso: ID token claims: %w", err))
	}
	if err := idt.Claims(&claims); err != nil {
		return nil, failure("id_token", fmt.Errorf("sso: ID token claims: %w", err))
	}
	switch {
	case subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 || nonce == "":
		return nil, failure("nonce", fmt.Errorf("sso: ID token from %s: nonce does not match", p.c.Name))
	case (len(idt.Audience) > 1 || c.AZP != "") && c.AZP != p.c.ClientID:
		return nil, failure("azp", fmt.Errorf("sso: ID token from %s: azp %q is not the client id", p.c.Name, c.AZP))
	case idt.IssuedAt.IsZero() || idt.IssuedAt.After(p.now().Add(clockSkew)):
		return nil, failure("iat", fmt.Errorf("sso: ID token from %s: iat %v is missing or in the future", p.c.Name, idt.IssuedAt))
	}
	return &identity{Issuer: p.c.Issuer, Subject: idt.Subject, Email: c.Email, EmailVerified: c.Verified == true || c.Verified == "true",
		Name: c.Name, SID: c.SID, Claims: claims}, nil
}

// endSessionURL returns the provider's end_session_endpoint with the
// client id and where to come back to (RP-Initiated Logout 1.0). The ID
// token is not kept, so there is no id_token_hint.
//
// It discovers the provider when this instance has not yet (after a
// restart, or on another replica than the one the person signed in
// through). When discovery fails it returns the error, and logout ends
// the session here without the hop to the provider.
func (p *oidcProvider) endSessionURL(ctx context.Context, postLogout string) (string, error) {
	d, err := p.discover(ctx)
	if err != nil || d.endSession == "" {
		return "", err
	}
	u, err := url.Parse(d.endSession)
	if err != nil {
		return "", fmt.Errorf("sso: %s: end_session_endpoint: %w", p.c.Name, err)
	}
	q := u.Query()
	q.Set("client_id", p.c.ClientID)
	q.Set("post_logout_redirect_uri", postLogout)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
