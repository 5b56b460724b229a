package certs

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// The files DevCA keeps in its directory.
const (
	DevCAFile      = "ca.pem"            // the CA certificate, for clients to trust
	DevCAKeyFile   = "ca-key.pem"        // the CA's private key (mode 0600)
	DevCertFile    = "localhost.pem"     // the server certificate
	DevCertKeyFile = "localhost-key.pem" // its private key (mode 0600)
)

const (
	devCALifetime   = 10 * 365 * 24 * time.Hour
	devLeafLifetime = 825 * 24 * time.Hour // the most that Apple platforms accept
	devRenewBefore  = 30 * 24 * time.Hour
	devBackdate     = time.Hour // tolerates clocks that are a little behind
	devCAName       = "Gatehouse Development CA"
)

// DevHosts returns the names the development certificate is valid for.
func DevHosts() []string { return []string{"localhost", "127.0.0.1", "::1"} }

// DevConfig configures DevCA. The zero value is ready to use.
type DevConfig struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger records the creation of the CA and of certificates; nil
	// discards.
	Logger *slog.Logger
}

// Dev is a local development CA and the certificate it issued for
// localhost, 127.0.0.1 and ::1.
type Dev struct {
	caPath string
	ca     *x509.Certificate
	cert   *tls.Certificate
}

// DevCA returns the development CA kept in dir, creating dir (mode 0700),
// the CA and the localhost certificate on first use. Later calls reuse them;
// the certificate is issued again when it is missing, damaged, expires
// within 30 days, lacks one of DevHosts, or was not signed by the CA. A CA
// that has expired is replaced, which clients must then trust anew. A CA
// file that exists but cannot be read is an error: DevCA never overwrites
// what it does not understand.
func DevCA(dir string, cfg DevConfig) (*Dev, error) {
	now, log := time.Now, slog.New(slog.DiscardHandler)
	if cfg.Now != nil {
		now = cfg.Now
	}
	if cfg.Logger != nil {
		log = cfg.Logger
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("certs: create development CA directory: %w", err)
	}
	ca, caKey, err := loadOrCreateCA(dir, now(), log)
	if err != nil {
		return nil, err
	}
	cert, err := loadOrIssueLeaf(dir, ca, caKey, now(), log)
	if err != nil {
		return nil, err
	}
	return &Dev{caPath: filepath.Join(dir, DevCAFile), ca: ca, cert: cert}, nil
}

// CAPath returns the path of the CA certificate, for clients to trust:
// curl --cacert <CAPath> https://localhost:8443/healthz.
func (d *Dev) CAPath() string { return d.caPath }

// CertPool returns a new pool that holds only the CA, for Go clients.
func (d *Dev) CertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(d.ca)
	return p
}

// GetCertificate returns the localhost certificate whatever the client
// asks for; it suits tls.Config.GetCertificate.
func (d *Dev) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return d.cert, nil
}

// TLSConfig returns BaseConfig serving the localhost certificate.
func (d *Dev) TLSConfig() *tls.Config { return withCertificate(d.GetCertificate) }

// loadOrCreateCA reads the CA from dir, or creates it when either file is
// missing or the CA has expired.
func loadOrCreateCA(dir string, now time.Time, log *slog.Logger) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPath, keyPath := filepath.Join(dir, DevCAFile), filepath.Join(dir, DevCAKeyFile)
	ca, key, err := readDevPair(certPath, keyPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		log.Info("creating the development CA", "path", certPath)
	case err != nil:
		return nil, nil, fmt.Errorf("certs: development CA in %s: %w (remove %s and %s to create a new one)", dir, err, DevCAFile, DevCAKeyFile)
	case !now.Before(ca.NotAfter.Add(-devRenewBefore)):
		log.Warn("the development CA expires; creating a new one that clients must trust again", "path", certPath, "not_after", ca.NotAfter)
	default:
		return ca, key, nil
	}
	return createCA(certPath, keyPath, now)
}

// loadOrIssueLeaf reads the localhost certificate from dir, or issues a new
// one when it cannot serve DevHosts for at least devRenewBefore.
func loadOrIssueLeaf(dir string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time, log *slog.Logger) (*tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, DevCertFile), filepath.Join(dir, DevCertKeyFile)
	leaf, key, err := readDevPair(certPath, keyPath)
	if err == nil {
		err = checkDevLeaf(leaf, ca, now)
	}
	if err == nil {
		return &tls.Certificate{Certificate: [][]byte{leaf.Raw}, PrivateKey: key, Leaf: leaf}, nil
	}
	log.Info("issuing the localhost certificate", "path", certPath, "reason", err.Error())
	return issueLeaf(certPath, keyPath, ca, caKey, now)
}

// checkDevLeaf reports why leaf cannot serve every name of DevHosts, signed
// by ca, until now+devRenewBefore.
func checkDevLeaf(leaf, ca *x509.Certificate, now time.Time) error {
	if !now.Before(leaf.NotAfter.Add(-devRenewBefore)) {
		return fmt.Errorf("expires %s", leaf.NotAfter.Format(time.DateOnly))
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, h := range DevHosts() {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: h, CurrentTime: now})
		if err != nil {
			return err
		}
	}
	return nil
}

// readDevPair reads a certificate and its ECDSA key. A missing file is an
// error matching fs.ErrNotExist.
func readDevPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	certs, err := parseCertificates(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certPath, err)
	}
	signer, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	key, ok := signer.(*ecdsa.PrivateKey)
	if !ok || !keyMatches(certs[0], key) {
		return nil, nil, fmt.Errorf("%s does not hold the key of %s", keyPath, certPath)
	}
	return certs[0], key, nil
}
