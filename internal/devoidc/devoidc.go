// Package devoidc is an OpenID provider for development and tests, built
// on github.com/zitadel/oidc/v3. It signs real ID tokens with a key made at
// start-up and serves discovery, JWKS, authorization (PKCE S256 required),
// token and end-session endpoints, plus a sign-in page where one picks a
// demo person: there is no password.
//
// It is for "gatehouse serve --dev" and for tests only. Nothing it holds
// survives a restart, and anyone who can reach it can sign in as anyone.
package devoidc

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// Person is a demo person one can sign in as.
type Person struct {
	Subject string   // the stable id in ID tokens
	Email   string   // verified
	Name    string   // display name
	Groups  []string // the "groups" claim
}

// DemoPeople returns the people of "gatehouse serve --dev": an author, an
// editor and a reader, whose groups say so.
func DemoPeople() []Person {
	return []Person{
		{Subject: "dev-author", Email: "author@example.com", Name: "Ada Author", Groups: []string{"authors"}},
		{Subject: "dev-editor", Email: "editor@example.com", Name: "Eddie Editor", Groups: []string{"editors"}},
		{Subject: "dev-reader", Email: "reader@example.com", Name: "Remy Reader", Groups: []string{"readers"}},
	}
}

// Client is a relying party registered with the provider.
type Client struct {
	ID     string
	Secret string // client_secret_basic or client_secret_post
	// RedirectURIs are the only callbacks the provider sends codes to.
	RedirectURIs []string
	// PostLogoutRedirectURIs are where end_session may send the browser.
	PostLogoutRedirectURIs []string
	// BackchannelLogoutURI, when set, receives logout tokens from Logout.
	BackchannelLogoutURI string
}

// Config holds a Provider's settings.
type Config struct {
	// Issuer is the provider's URL, e.g. "https://localhost:8443/dev-oidc".
	// It must be https. The handler serves the path below it. Required.
	Issuer string
	// Clients are the registered relying parties. At least one is required.
	Clients []Client
	// People are who can sign in; nil means DemoPeople.
	People []Person
	// HTTPClient posts back-channel logout tokens; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives the provider's errors; nil discards them.
	Logger *slog.Logger
}

// Provider is a running development OpenID provider. It is an
// http.Handler for the issuer's path and everything below it.
type Provider struct {
	issuer  string
	prefix  string // the issuer's path, stripped before the OP sees a request
	store   *storage
	op      *op.Provider
	handler http.Handler
	client  *http.Client
	log     *slog.Logger
}

// New validates cfg and returns a Provider with a fresh RSA signing key.
func New(cfg Config) (*Provider, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("devoidc: issuer %q is not an https URL", cfg.Issuer)
	}
	if len(cfg.Clients) == 0 {
		return nil, errors.New("devoidc: at least one client is required")
	}
	people := cfg.People
	if people == nil {
		people = DemoPeople()
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("devoidc: signing key: %w", err)
	}
	p := &Provider{
		issuer: strings.TrimSuffix(cfg.Issuer, "/"), prefix: strings.TrimSuffix(u.Path, "/"),
		client: cfg.HTTPClient, log: cfg.Logger,
	}
	if p.client == nil {
		p.client = http.DefaultClient
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.store = newStorage(p.issuer, key, cfg.Clients, people)
	if p.op, err = newOP(p.issuer, p.store); err != nil {
		return nil, err
	}
	p.handler = p.routes(cfg.Clients)
	return p, nil
}

// newOP returns the zitadel OpenID provider over store.
func newOP(issuer string, store *storage) (*op.Provider, error) {
	var cryptoKey [32]byte
	_, _ = rand.Read(cryptoKey[:])
	conf := &op.Config{
		CryptoKey:      cryptoKey,
		CodeMethodS256: true,
		AuthMethodPost: true,
	}
	o, err := op.NewProvider(conf, store, op.StaticIssuer(issuer))
	if err != nil {
		return nil, fmt.Errorf("devoidc: %w", err)
	}
	return o, nil
}

// Issuer returns the provider's issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// ServeHTTP serves the provider's endpoints and its sign-in page. Mount it
// at the issuer's path, e.g. mux.Handle("/dev-oidc/", p).
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.handler.ServeHTTP(w, r)
}

// routes returns the handler: the sign-in page under /login, the OP for
// everything else, both with the issuer's path stripped.
func (p *Provider) routes(clients []Client) http.Handler {
	mux := http.NewServeMux()
	in := op.NewIssuerInterceptor(p.op.IssuerFromRequest)
	mux.Handle("GET /login", http.HandlerFunc(p.signInPage))
	mux.Handle("POST /login", in.HandlerFunc(p.signIn))
	mux.Handle("/", p.op)
	csp := signInCSP(clients)
	return http.StripPrefix(p.prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		mux.ServeHTTP(w, r)
	}))
}

// Logout ends every session of the person with the given subject and
// sends a signed logout token (OpenID Connect Back-Channel Logout 1.0) to
// each client that registered a BackchannelLogoutURI and holds one of those
// sessions. It returns the first delivery error.
func (p *Provider) Logout(ctx context.Context, subject string) error {
	var errs []error
	for _, s := range p.store.endSessions(subject) {
		if s.client.BackchannelLogoutURI == "" {
			continue
		}
		tok, err := p.store.logoutToken(s)
		if err == nil {
			err = p.deliver(ctx, s.client.BackchannelLogoutURI, tok)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// deliver POSTs a logout token as the specification says: a form with
// logout_token, expecting 200 (or 204).
func (p *Provider) deliver(ctx context.Context, uri, token string) error {
	body := strings.NewReader(url.Values{"logout_token": {token}}.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, body)
	if err != nil {
		return fmt.Errorf("devoidc: back-channel logout: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("devoidc: back-channel logout: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("devoidc: back-channel logout to %s: status %d", uri, resp.StatusCode)
	}
	return nil
}
