package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/gatehouse-dev/gatehouse"
)

// ACMEConfig configures NewACME. Domains and Cache are required; the zero
// value of every other field is documented beside it.
type ACMEConfig struct {
	// Domains are the only names a certificate is requested for (and so
	// the only names served): DNS names in ASCII (punycode), without
	// wildcards. Any other name a client sends in SNI is refused without
	// contacting the CA.
	Domains []string
	// Email is the contact address of the ACME account; "" registers
	// without one.
	Email string
	// DirectoryURL is the CA's ACME directory; "" means Let's Encrypt's
	// production directory (acme.LetsEncryptURL).
	DirectoryURL string
	// Cache keeps the account key and certificates, shared by replicas.
	// It is required: without it every restart would request new
	// certificates and soon hit the CA's rate limit.
	Cache gatehouse.CertCache
	// HTTPClient talks to the CA; nil means a client with a 30-second
	// timeout that trusts RootCAs.
	HTTPClient *http.Client
	// RootCAs are the roots trusted for the CA's HTTPS endpoint when
	// HTTPClient is nil; nil means the system roots.
	RootCAs *x509.CertPool
	// RenewBefore is how long before expiry a certificate is renewed; 0
	// means autocert's default (30 days, or a third of a short lifetime).
	RenewBefore time.Duration
	// Logger records failures to provide a certificate for a configured
	// domain at Error level, and refused names at Debug; nil discards.
	Logger *slog.Logger
}

// ACME obtains and renews certificates for a fixed set of domains over
// ACME, answering TLS-ALPN-01 challenges in the TLS handshake and HTTP-01
// challenges through HTTPHandler. Using it accepts the CA's terms of
// service.
type ACME struct {
	m      *autocert.Manager
	policy autocert.HostPolicy
	log    *slog.Logger
}

// NewACME checks cfg and returns an ACME. It does not contact the CA: the
// first certificate is requested by the first handshake for a domain.
func NewACME(cfg ACMEConfig) (*ACME, error) {
	if len(cfg.Domains) == 0 {
		return nil, errors.New("certs: acme: at least one domain is required")
	}
	for _, d := range cfg.Domains {
		if err := checkDomain(d); err != nil {
			return nil, fmt.Errorf("certs: acme: domain %q: %w", d, err)
		}
	}
	if cfg.Cache == nil {
		return nil, errors.New("certs: acme: a certificate cache is required")
	}
	dir := cfg.DirectoryURL
	if dir == "" {
		dir = acme.LetsEncryptURL
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second, Transport: transport(cfg.RootCAs)}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// A nil HostPolicy would let any SNI name trigger an order: the
	// whitelist is not optional.
	policy := autocert.HostWhitelist(cfg.Domains...)
	m := &autocert.Manager{
		Prompt:      autocert.AcceptTOS,
		Cache:       StoreCache{C: cfg.Cache},
		HostPolicy:  policy,
		RenewBefore: cfg.RenewBefore,
		Client:      &acme.Client{DirectoryURL: dir, HTTPClient: hc, UserAgent: "gatehouse"},
		Email:       cfg.Email,
	}
	return &ACME{m: m, policy: policy, log: log}, nil
}

// transport returns a copy of the default transport trusting roots.
func transport(roots *x509.CertPool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return t
}

// checkDomain accepts lower- or upper-case ASCII DNS names with at least two
// labels, which is what autocert can obtain a certificate for.
func checkDomain(d string) error {
	if net.ParseIP(d) != nil {
		return errors.New("an IP address, not a DNS name")
	}
	if len(d) > 253 || !strings.Contains(d, ".") {
		return errors.New("not a fully qualified DNS name")
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return errors.New("not a valid DNS name")
		}
		for _, c := range []byte(label) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Errorf("invalid character %q (wildcards are not supported; use punycode for IDNs)", c)
			}
		}
	}
	return nil
}

// GetCertificate returns the certificate for the client's SNI name,
// obtaining it from the CA on first use and from the cache afterwards, and
// answers TLS-ALPN-01 challenges; it suits tls.Config.GetCertificate.
func (a *ACME) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	c, err := a.m.GetCertificate(hello)
	if err != nil {
		// Scanners send every name under the sun: only a failure for a
		// configured domain is worth an operator's attention.
		level := slog.LevelError
		name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
		if a.policy(context.Background(), name) != nil {
			level = slog.LevelDebug
		}
		a.log.Log(context.Background(), level, "acme: no certificate for handshake",
			"server_name", hello.ServerName, "err", err)
	}
	return c, err
}

// TLSConfig returns BaseConfig serving ACME certificates, with the
// acme-tls/1 protocol added for TLS-ALPN-01.
func (a *ACME) TLSConfig() *tls.Config {
	c := withCertificate(a.GetCertificate)
	c.NextProtos = append(c.NextProtos, acme.ALPNProto)
	return c
}

// HTTPHandler returns the handler for the plain-HTTP listener: it answers
// HTTP-01 challenges under /.well-known/acme-challenge/ for the configured
// domains and passes every other request to fallback (nil: a redirect to
// HTTPS). Calling it also enables HTTP-01, which is tried after
// TLS-ALPN-01 fails.
func (a *ACME) HTTPHandler(fallback http.Handler) http.Handler {
	h := a.m.HTTPHandler(fallback)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// autocert checks the whitelist against r.Host as it is, port
		// included; a CA validating on a port other than 80 would be refused.
		if host, _, err := net.SplitHostPort(r.Host); err == nil && strings.HasPrefix(r.URL.Path, challengePath) {
			r2 := *r
			r2.Host = host
			r = &r2
		}
		h.ServeHTTP(w, r)
	})
}

// challengePath is where HTTP-01 challenges are answered (RFC 8555, 8.3).
const challengePath = "/.well-known/acme-challenge/"
