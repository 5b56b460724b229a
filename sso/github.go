package sso

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse"
)

// githubProvider signs people in with GitHub's OAuth2, which has no ID
// token: the identity comes from the user API, with the numeric user id as
// the subject (logins can be renamed and reused) and the verified primary
// email.
type githubProvider struct {
	c      ProviderConfig
	oauth  *oauth2.Config
	api    string
	client *http.Client
}

func newGitHub(c ProviderConfig, redirect string, client *http.Client) *githubProvider {
	ep := oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInParams}
	if ep.AuthURL == "" {
		ep.AuthURL = "https://github.com/login/oauth/authorize"
	}
	if ep.TokenURL == "" {
		ep.TokenURL = "https://github.com/login/oauth/access_token"
	}
	api := strings.TrimSuffix(c.APIURL, "/")
	if api == "" {
		api = "https://api.github.com"
	}
	return &githubProvider{c: c, oauth: oauthConfig(&c, ep, redirect, []string{"read:user", "user:email"}), api: api, client: client}
}

func (p *githubProvider) config() *ProviderConfig { return &p.c }

func (p *githubProvider) authURL(_ context.Context, f *gatehouse.LoginFlow) (string, error) {
	return p.oauth.AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.Verifier)), nil
}

func (p *githubProvider) endSessionURL(context.Context, string) (string, error) { return "", nil }

func (p *githubProvider) identify(ctx context.Context, code string, f *gatehouse.LoginFlow) (*identity, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, failure("exchange", fmt.Errorf("sso: exchange code with %s: %w", p.c.Name, err))
	}
	var user struct {
		ID    json.Number `json:"id"`
		Login string      `json:"login"`
		Name  string      `json:"name"`
	}
	if err := p.get(ctx, tok, "/user", &user); err != nil {
		return nil, err
	}
	if _, err := strconv.ParseInt(user.ID.String(), 10, 64); err != nil {
		return nil, failure("userinfo", fmt.Errorf("sso: %s user id %q is not a number", p.c.Name, user.ID))
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := p.get(ctx, tok, "/user/emails", &emails); err != nil {
		return nil, err
	}
	id := &identity{Issuer: p.c.Issuer, Subject: user.ID.String(), Name: cmp(user.Name, user.Login)}
	for _, e := range emails {
		if e.Primary && e.Verified {
			id.Email, id.EmailVerified = e.Email, true
		}
	}
	return id, nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// get reads one JSON document from GitHub's API with the user's token.
func (p *githubProvider) get(ctx context.Context, tok *oauth2.Token, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.api+path, nil)
	if err != nil {
		return fmt.Errorf("sso: %s %s: %w", p.c.Name, path, err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := p.client.Do(req)
	if err != nil {
		return failure("userinfo", fmt.Errorf("sso: %s %s: %w", p.c.Name, path, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return failure("userinfo", fmt.Errorf("sso: %s %s: status %d", p.c.Name, path, resp.StatusCode))
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return failure("userinfo", fmt.Errorf("sso: %s %s: %w", p.c.Name, path, err))
	}
	return nil
}
