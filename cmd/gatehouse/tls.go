package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/certs"
)

// tlsSource is where the server's certificates come from: certificate
// files, ACME, or the development CA (the default).
type tlsSource struct {
	config      *tls.Config                              // nil: plain HTTP behind a trusted proxy
	caPath      string                                   // the development CA, for the banner
	httpHandler func(fallback http.Handler) http.Handler // ACME HTTP-01, or nil
	files       *certs.FileSource                        // reloaded on change and SIGHUP, or nil
	log         *slog.Logger
}

// newTLSSource builds the certificate source the settings name.
func newTLSSource(ctx context.Context, c *serveConfig, cache gatehouse.CertCache, log *slog.Logger) (*tlsSource, error) {
	t := &tlsSource{log: log}
	switch {
	case c.insecureBehindProxy:
		log.Warn("serving the API over plain HTTP: only the trusted proxies may connect", "trusted_proxy", c.trustedProxies.String())
	case c.tlsCert != "":
		f, err := certs.NewFileSource(c.tlsCert, c.tlsKey, certs.FileConfig{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("invalid setting tls-cert: %w", err)
		}
		t.files, t.config = f, f.TLSConfig()
	case len(c.acmeDomains) > 0:
		m, err := certs.NewACME(certs.ACMEConfig{
			Domains: c.acmeDomains, Email: c.acmeEmail, DirectoryURL: c.acmeDirectory, Cache: cache, Logger: log,
		})
		if err != nil {
			return nil, fmt.Errorf("invalid setting acme-domain: %w", err)
		}
		t.config, t.httpHandler = m.TLSConfig(), m.HTTPHandler
	default:
		d, err := certs.DevCA(c.store.dataDir, certs.DevConfig{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("development CA in %s: %w", c.store.dataDir, err)
		}
		t.config, t.caPath = d.TLSConfig(), d.CAPath()
	}
	return t, nil
}

// run reloads certificate files when they change and on every value from
// hup, until ctx ends. Other sources need no upkeep here.
func (t *tlsSource) run(ctx context.Context, hup <-chan os.Signal) {
	if t.files == nil {
		<-ctx.Done()
		return
	}
	go t.files.Run(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := t.files.Reload(); err != nil {
				t.log.Error("certificate reload failed; keeping the old one", "err", err)
			}
		}
	}
}

// checkFiles is what "config check" verifies beyond the settings: that the
// certificate files load and are valid now. It changes nothing.
func checkFiles(c *serveConfig) error {
	if c.tlsCert == "" {
		return nil
	}
	if _, err := certs.NewFileSource(c.tlsCert, c.tlsKey, certs.FileConfig{}); err != nil {
		return fmt.Errorf("invalid setting tls-cert: %w", err)
	}
	return nil
}
