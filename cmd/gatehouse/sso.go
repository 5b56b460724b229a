package main

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/devoidc"
	"github.com/gatehouse-dev/gatehouse/session"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// providerUsage documents --provider in "serve --help".
const providerUsage = "sign-in `provider` (repeatable), as comma-separated key=value pairs:\n" +
	"name=NAME (required), kind=oidc|github (default oidc), issuer=URL (OIDC, discovery),\n" +
	"client-id=ID, client-secret-file=FILE or client-secret-env=VAR (never the secret itself),\n" +
	"scope=S, allow=DOMAIN-OR-ADDRESS (repeatable keys), role-claim=CLAIM, role=VALUE:ROLE (repeatable),\n" +
	"default-role=ROLE, auth-url=, token-url=, api-url= (GitHub endpoints). E.g.\n" +
	"name=google,issuer=https://accounts.google.com,client-id=ID,client-secret-file=/run/secrets/google,allow=example.com\n" +
	"In GATEHOUSE_PROVIDER, separate providers with ';'"

// providerFlag is the repeatable --provider setting. Each value is checked
// for syntax when it is set; secrets are read when the server starts.
type providerFlag []providerSpec

// providerSpec is one parsed --provider value.
type providerSpec struct {
	cfg        sso.ProviderConfig
	secretFile string
	secretEnv  string
}

func (p *providerFlag) String() string {
	names := make([]string, len(*p))
	for i, s := range *p {
		names[i] = s.cfg.Name
	}
	return strings.Join(names, ",")
}

// Set parses one or more providers, separated by ";".
func (p *providerFlag) Set(v string) error {
	for part := range strings.SplitSeq(v, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		s, err := parseProvider(part)
		if err != nil {
			return err
		}
		*p = append(*p, s)
	}
	return nil
}

// parseProvider parses "key=value,key=value...".
func parseProvider(v string) (providerSpec, error) {
	var s providerSpec
	for kv := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || val == "" {
			return s, fmt.Errorf("%q is not key=value", kv)
		}
		if err := s.set(k, val); err != nil {
			return s, err
		}
	}
	if s.cfg.Name == "" {
		return s, errors.New("a provider needs name=")
	}
	if (s.secretFile == "") == (s.secretEnv == "") {
		return s, fmt.Errorf("provider %s: give exactly one of client-secret-file= and client-secret-env=", s.cfg.Name)
	}
	return s, nil
}

func (s *providerSpec) set(k, v string) error {
	c := &s.cfg
	switch k {
	case "name":
		c.Name = v
	case "kind":
		c.Kind = v
	case "issuer":
		c.Issuer = v
	case "client-id":
		c.ClientID = v
	case "client-secret-file":
		s.secretFile = v
	case "client-secret-env":
		s.secretEnv = v
	case "scope":
		c.Scopes = append(c.Scopes, v)
	case "allow":
		c.AllowEmails = append(c.AllowEmails, v)
	case "role-claim":
		c.RoleClaim = v
	case "role":
		value, role, ok := strings.Cut(v, ":")
		if !ok {
			return fmt.Errorf("role=%s: want CLAIM-VALUE:ROLE", v)
		}
		if c.Roles == nil {
			c.Roles = map[string]gatehouse.Role{}
		}
		c.Roles[value] = gatehouse.Role(role)
	case "default-role":
		c.DefaultRole = gatehouse.Role(v)
	case "auth-url":
		c.AuthURL = v
	case "token-url":
		c.TokenURL = v
	case "api-url":
		c.APIURL = v
	case "client-secret":
		return errors.New("client-secret= is refused: a flag value shows in ps; use client-secret-file= or client-secret-env=")
	default:
		return fmt.Errorf("unknown provider key %q", k)
	}
	return nil
}

// providers returns the configured providers with their secrets read.
func (c *serveConfig) providerConfigs(getenv func(string) string) ([]sso.ProviderConfig, error) {
	var out []sso.ProviderConfig
	for _, s := range c.providers {
		pc := s.cfg
		if s.secretFile != "" {
			b, err := os.ReadFile(s.secretFile)
			if err != nil {
				return nil, fmt.Errorf("invalid setting provider: %s: client secret: %w", pc.Name, err)
			}
			pc.ClientSecret = strings.TrimSpace(string(b))
		} else {
			pc.ClientSecret = getenv(s.secretEnv)
		}
		if pc.ClientSecret == "" {
			return nil, fmt.Errorf("invalid setting provider: %s: the client secret is empty", pc.Name)
		}
		out = append(out, pc)
	}
	return out, nil
}

// publicOrigin returns --public-url, or https://localhost:PORT for --addr.
func (c *serveConfig) publicOrigin() (string, error) {
	if c.publicURL != "" {
		return strings.TrimSuffix(c.publicURL, "/"), nil
	}
	_, port, _ := net.SplitHostPort(c.addr)
	if port == "0" || port == "" {
		return "", errors.New("invalid setting public-url: sign-in needs --public-url or a fixed --addr port")
	}
	return "https://localhost:" + port, nil
}

// devClientID is the client id of Gatehouse at the development provider.
const devClientID = "gatehouse-dev"

// devWarning is printed when --dev starts the development provider.
const devWarning = `WARNING: --dev runs a development OpenID provider at %s.
WARNING: anyone who can reach it can sign in as any demo person, without a password.
WARNING: it is for development only; never use --dev on a server others can reach.
`

// newDevProvider builds the in-process provider of --dev, registered as
// provider "dev", whose groups give the demo people their roles.
func newDevProvider(e env, public string, client *http.Client) (*devoidc.Provider, sso.ProviderConfig, error) {
	secret := rand.Text()
	dev, err := devoidc.New(devoidc.Config{
		Issuer: public + "/dev-oidc", HTTPClient: client,
		Clients: []devoidc.Client{{ID: devClientID, Secret: secret, RedirectURIs: []string{public + "/auth/callback"},
			PostLogoutRedirectURIs: []string{public + "/auth/signed-out"},
			BackchannelLogoutURI:   public + "/auth/backchannel-logout/dev"}},
	})
	if err != nil {
		return nil, sso.ProviderConfig{}, err
	}
	fmt.Fprintf(e.stderr, devWarning, dev.Issuer())
	pc := sso.ProviderConfig{Name: devProviderName, Issuer: dev.Issuer(), ClientID: devClientID, ClientSecret: secret,
		Scopes: []string{"groups"}, RoleClaim: "groups",
		Roles: map[string]gatehouse.Role{"authors": gatehouse.RoleAuthor, "editors": gatehouse.RoleEditor}}
	return dev, pc, nil
}

// providerClient returns the HTTP client that talks to providers: it
// trusts the system's roots and, when the server uses it, the development
// CA (the --dev provider is served with the server's certificate).
func providerClient(t *tlsSource) (*http.Client, error) {
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if t.caPath != "" {
		pem, err := os.ReadFile(t.caPath)
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("development CA %s: cannot trust it for the providers: %v", t.caPath, err)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig.RootCAs = pool
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}

// newSSO builds the relying party from the settings, or returns nil when
// no provider is configured. With --dev it also returns the development
// provider, which the caller mounts at /dev-oidc/.
func newSSO(e env, c *serveConfig, st gatehouse.Store, mgr *session.Manager, t *tlsSource, addr func(*http.Request) string) (*sso.Service, http.Handler, error) {
	providers, err := c.providerConfigs(e.getenv)
	if err != nil || (len(providers) == 0 && !c.dev) {
		return nil, nil, err
	}
	public, err := c.publicOrigin()
	if err != nil {
		return nil, nil, err
	}
	client, err := providerClient(t)
	if err != nil {
		return nil, nil, err
	}
	var dev http.Handler
	if c.dev {
		d, pc, err := newDevProvider(e, public, client)
		if err != nil {
			return nil, nil, err
		}
		dev, providers = d, append(providers, pc)
	}
	svc, err := sso.New(sso.Config{Providers: providers, Sessions: mgr, Store: st, PublicURL: public, HTTPClient: client, ClientAddr: addr})
	if err != nil {
		return nil, nil, fmt.Errorf("invalid setting provider: %w", err)
	}
	return svc, dev, nil
}

// withDev mounts the development provider at /dev-oidc/ in front of the
// server, outside the guard: the provider's token endpoint takes the
// client's Basic credentials and its userinfo endpoint a Bearer token,
// which the guard would read as API keys.
func withDev(srv http.Handler, dev http.Handler) http.Handler {
	if dev == nil {
		return srv
	}
	mux := http.NewServeMux()
	mux.Handle("/dev-oidc/", dev)
	mux.Handle("/", srv)
	return mux
}

// devProviderName is the name --dev registers the development provider
// under.
const devProviderName = "dev"

// providerNames returns the names of the configured providers, the
// development provider's first when --dev is set.
func (c *serveConfig) providerNames() []string {
	var names []string
	if c.dev {
		names = append(names, devProviderName)
	}
	for _, s := range c.providers {
		names = append(names, s.cfg.Name)
	}
	return names
}

// checkProviders validates the provider settings that need no network.
func (c *serveConfig) checkProviders() error {
	names := c.providerNames()
	for i, n := range names {
		if slices.Contains(names[:i], n) {
			return fmt.Errorf("invalid setting provider: %s is configured twice (--dev adds %q)", n, devProviderName)
		}
	}
	if len(c.providers) > 0 || c.dev {
		if _, err := c.publicOrigin(); err != nil {
			return err
		}
	}
	if c.publicURL != "" {
		if u, err := url.Parse(c.publicURL); err != nil || u.Scheme != "https" || u.Host == "" || strings.Trim(u.Path, "/") != "" {
			return fmt.Errorf("invalid setting public-url: %q is not an https origin", c.publicURL)
		}
	}
	return nil
}
