package sso

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/oauth2"

	"github.com/gatehouse-dev/gatehouse"
)

// The kinds of provider.
const (
	KindOIDC   = "oidc"   // OpenID Connect, by issuer URL with discovery
	KindGitHub = "github" // GitHub's OAuth2 and user API
)

// ProviderConfig describes one sign-in provider.
type ProviderConfig struct {
	// Name identifies the provider in /auth/login?provider=NAME and in
	// sessions: lower-case letters, digits and "-", at most 32.
	Name string
	// Kind is KindOIDC (the default when empty) or KindGitHub.
	Kind string
	// Issuer is an OpenID provider's issuer URL (https); discovery reads
	// Issuer + "/.well-known/openid-configuration". For KindGitHub it is
	// the issuer recorded on users and defaults to "https://github.com".
	Issuer string
	// ClientID and ClientSecret are the credentials registered with the
	// provider. Both are required.
	ClientID     string
	ClientSecret string
	// Scopes are requested besides "openid email profile" (OIDC) or
	// "read:user user:email" (GitHub).
	Scopes []string
	// AllowEmails, when not empty, admits only people whose verified email
	// is one of these addresses or in one of these domains ("example.com").
	AllowEmails []string
	// RoleClaim names an ID token claim (a string or a list of strings,
	// such as "groups") whose values Roles maps to roles. When set, the
	// provider decides the role at every sign-in: the most privileged
	// mapped role, or DefaultRole when no value maps. When empty, the role
	// is set once, when the user is created, and an operator changes it.
	RoleClaim string
	// Roles maps values of RoleClaim to roles.
	Roles map[string]gatehouse.Role
	// DefaultRole is the role of new users; "" means reader.
	DefaultRole gatehouse.Role
	// AuthURL, TokenURL and APIURL override GitHub's endpoints (for a
	// GitHub Enterprise server, or a test stand-in). Empty: github.com's.
	AuthURL, TokenURL, APIURL string
}

// validate checks c and fills in its defaults.
func (c *ProviderConfig) validate() error {
	if err := gatehouse.CheckProviderName(c.Name); err != nil {
		return fmt.Errorf("sso: %w", err)
	}
	if c.Kind == "" {
		c.Kind = KindOIDC
	}
	if c.DefaultRole == "" {
		c.DefaultRole = gatehouse.RoleReader
	}
	errs := []error{c.checkKind(), c.checkRoles()}
	if c.ClientID == "" || c.ClientSecret == "" {
		errs = append(errs, fmt.Errorf("sso: provider %s: client id and client secret are required", c.Name))
	}
	for _, e := range c.AllowEmails {
		if e == "" || strings.ContainsAny(e, " ,") || strings.Count(e, "@") > 1 {
			errs = append(errs, fmt.Errorf("sso: provider %s: %q is not an email address or domain", c.Name, e))
		}
	}
	return errors.Join(errs...)
}

func (c *ProviderConfig) checkKind() error {
	switch c.Kind {
	case KindOIDC:
		return checkHTTPS(c.Name, "issuer", c.Issuer, true)
	case KindGitHub:
		if c.Issuer == "" {
			c.Issuer = "https://github.com"
		}
		if c.RoleClaim != "" {
			return fmt.Errorf("sso: provider %s: GitHub has no ID token, so no role claim", c.Name)
		}
		return errors.Join(checkHTTPS(c.Name, "auth url", c.AuthURL, false),
			checkHTTPS(c.Name, "token url", c.TokenURL, false), checkHTTPS(c.Name, "api url", c.APIURL, false))
	}
	return fmt.Errorf("sso: provider %s: unknown kind %q (want oidc or github)", c.Name, c.Kind)
}

func (c *ProviderConfig) checkRoles() error {
	var errs []error
	for v, r := range c.Roles {
		if _, err := gatehouse.ParseRole(string(r)); err != nil {
			errs = append(errs, fmt.Errorf("sso: provider %s: claim value %q: %w", c.Name, v, err))
		}
	}
	if _, err := gatehouse.ParseRole(string(c.DefaultRole)); err != nil {
		errs = append(errs, fmt.Errorf("sso: provider %s: default role: %w", c.Name, err))
	}
	if len(c.Roles) > 0 && c.RoleClaim == "" {
		errs = append(errs, fmt.Errorf("sso: provider %s: roles need a role claim", c.Name))
	}
	return errors.Join(errs...)
}

func checkHTTPS(provider, what, raw string, required bool) error {
	if raw == "" && !required {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("sso: provider %s: %s %q is not an https URL", provider, what, raw)
	}
	return nil
}

// allows reports whether a verified email passes the allow-list.
func (c *ProviderConfig) allows(email string, verified bool) bool {
	if len(c.AllowEmails) == 0 {
		return true
	}
	if !verified || email == "" {
		return false
	}
	email = strings.ToLower(email)
	_, domain, _ := strings.Cut(email, "@")
	return slices.ContainsFunc(c.AllowEmails, func(a string) bool {
		a = strings.ToLower(a)
		return a == email || (!strings.Contains(a, "@") && a == domain)
	})
}

// roleFrom returns the role the claim values map to (the most privileged
// one), and false when no role claim is configured.
func (c *ProviderConfig) roleFrom(claims map[string]any) (gatehouse.Role, bool) {
	if c.RoleClaim == "" {
		return "", false
	}
	best := -1
	for _, v := range claimStrings(claims[c.RoleClaim]) {
		if r, ok := c.Roles[v]; ok {
			best = max(best, slices.Index(gatehouse.Roles, r))
		}
	}
	if best < 0 {
		return c.DefaultRole, true
	}
	return gatehouse.Roles[best], true
}

// claimStrings returns a claim that is a string or a list of strings.
func claimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// identity is who a provider says signed in.
type identity struct {
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Name            string
	SID             string         // the provider's session id (OIDC sid), if any
	Claims          map[string]any // the ID token's claims (OIDC)
}

// provider is one configured provider at work.
type provider interface {
	config() *ProviderConfig
	// authURL returns where to send the browser to start flow f.
	authURL(ctx context.Context, f *gatehouse.LoginFlow) (string, error)
	// identify exchanges the code with the flow's PKCE verifier and returns
	// who signed in.
	identify(ctx context.Context, code string, f *gatehouse.LoginFlow) (*identity, error)
	// endSessionURL returns the provider's RP-initiated logout URL, or ""
	// when it has none; an error when the provider cannot be asked.
	endSessionURL(ctx context.Context, postLogout string) (string, error)
}

// oauthConfig returns the oauth2 settings shared by both kinds.
func oauthConfig(c *ProviderConfig, ep oauth2.Endpoint, redirect string, scopes []string) *oauth2.Config {
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: ep,
		RedirectURL: redirect, Scopes: append(scopes, c.Scopes...)}
}
