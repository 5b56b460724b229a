package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
)

// Store is what the relying party needs from a gatehouse.Store.
type Store interface {
	gatehouse.UserStore
	AppendAudit(ctx context.Context, e *gatehouse.AuditEvent) error
	EndSessionsBySID(ctx context.Context, issuer, sid string, at time.Time) (int, error)
	EndSessionsBySubject(ctx context.Context, issuer string, userID int64, at time.Time) (int, error)
}

// Config holds a Service's dependencies and settings.
type Config struct {
	// Providers are the sign-in providers. At least one is required.
	Providers []ProviderConfig
	// Sessions starts and ends sessions and keeps login flows. Required.
	Sessions *session.Manager
	// Store keeps users and the audit log. Required.
	Store Store
	// PublicURL is the origin browsers reach Gatehouse at, such as
	// "https://gatehouse.example.com"; the callback registered with every
	// provider is PublicURL + "/auth/callback". Required.
	PublicURL string
	// HTTPClient talks to the providers; nil means a client with a ten
	// second timeout.
	HTTPClient *http.Client
	// JWKSRefreshInterval is the least time between two fetches of a
	// provider's keys triggered by a token with an unknown key; 0 means a
	// minute.
	JWKSRefreshInterval time.Duration
	// ClientAddr returns the client's address for the audit log; nil
	// means the host of r.RemoteAddr.
	ClientAddr func(r *http.Request) string
	// Logger receives failures in full; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// LoginLifetime is how long a started sign-in may take.
const LoginLifetime = 10 * time.Minute

// Service is the relying party: the /auth/ handlers.
type Service struct {
	providers map[string]provider
	names     []string
	sessions  *session.Manager
	store     Store
	public    string
	log       *slog.Logger
	now       func() time.Time
	addr      func(*http.Request) string
	jtis      *jtiCache
	csrf      *http.CrossOriginProtection
}

// New validates cfg and returns a Service. Providers are discovered on
// first use, so that a provider that is down does not stop the server.
func New(cfg Config) (*Service, error) {
	if cfg.Sessions == nil || cfg.Store == nil || len(cfg.Providers) == 0 {
		return nil, errors.New("sso: Sessions, Store and at least one provider are required")
	}
	if err := checkHTTPS("-", "public url", cfg.PublicURL, true); err != nil || strings.Trim(mustPath(cfg.PublicURL), "/") != "" {
		return nil, fmt.Errorf("sso: public URL %q must be an https origin", cfg.PublicURL)
	}
	s := &Service{
		providers: map[string]provider{}, sessions: cfg.Sessions, store: cfg.Store,
		public: strings.TrimSuffix(cfg.PublicURL, "/"), log: cfg.Logger, now: cfg.Now, addr: cfg.ClientAddr,
		jtis: newJTICache(), csrf: http.NewCrossOriginProtection(),
	}
	s.defaults()
	client, every := cfg.HTTPClient, cfg.JWKSRefreshInterval
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if every == 0 {
		every = time.Minute
	}
	for _, pc := range cfg.Providers {
		if err := pc.validate(); err != nil {
			return nil, err
		}
		if _, dup := s.providers[pc.Name]; dup {
			return nil, fmt.Errorf("sso: provider %s is configured twice", pc.Name)
		}
		s.providers[pc.Name] = s.newProvider(pc, client, every)
		s.names = append(s.names, pc.Name)
	}
	slices.Sort(s.names)
	return s, nil
}

func (s *Service) defaults() {
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.addr == nil {
		s.addr = func(r *http.Request) string {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				return r.RemoteAddr
			}
			return host
		}
	}
}

func mustPath(raw string) string {
	u, _ := url.Parse(raw)
	if u == nil {
		return "x"
	}
	return u.Path
}

func (s *Service) newProvider(pc ProviderConfig, client *http.Client, every time.Duration) provider {
	redirect := s.public + "/auth/callback"
	if pc.Kind == KindGitHub {
		return newGitHub(pc, redirect, client)
	}
	return &oidcProvider{c: pc, redirect: redirect, client: client, now: s.now, every: every}
}

// Providers returns the names of the configured providers, sorted.
func (s *Service) Providers() []string { return slices.Clone(s.names) }

// random returns 32 random bytes, base64url-encoded.
func random() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// audit appends an event; a failure to record it is logged, since the
// response is already decided.
func (s *Service) audit(r *http.Request, e *gatehouse.AuditEvent) {
	e.Time, e.Addr = s.now(), s.addr(r)
	if err := s.store.AppendAudit(r.Context(), e); err != nil {
		s.log.ErrorContext(r.Context(), "sso: audit", "action", e.Action, "err", err)
	}
}

// fail ends a sign-in: it logs and audits the failure and writes the error
// page. No session was started.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, providerName string, err error) {
	reason := reasonOf(err)
	o := outcomeOf(reason)
	s.log.WarnContext(r.Context(), "sign-in failed", "provider", providerName, "reason", reason, "err", err)
	e := &gatehouse.AuditEvent{Action: gatehouse.ActionLoginFail, Reason: reason}
	if providerName != "" { // "": the flow, and so its provider, is not known (a failed state check)
		e.Detail = "provider " + providerName
	}
	s.audit(r, e)
	data := struct{ Message, RequestID string }{o.message, w.Header().Get("Request-Id")}
	if err := page(w, o.status, "error", data); err != nil {
		s.log.ErrorContext(r.Context(), "sso: error page", "err", err)
	}
}
