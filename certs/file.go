package certs

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// FileConfig configures NewFileSource. The zero value is ready to use.
type FileConfig struct {
	// Now is the clock against which validity is checked; nil means
	// time.Now.
	Now func() time.Time
	// Logger records reloads and their failures; nil discards.
	Logger *slog.Logger
	// Interval is how often Run looks at the files' size and modification
	// time; 0 means 5 seconds.
	Interval time.Duration
}

// FileSource serves a certificate and key read from PEM files, and reads
// them again when they change. A reload that fails keeps the certificate
// already loaded. FileSource is safe for concurrent use.
type FileSource struct {
	certFile, keyFile string
	now               func() time.Time
	log               *slog.Logger
	interval          time.Duration

	cert atomic.Pointer[tls.Certificate]

	mu   sync.Mutex // serialises reloads and guards seen
	seen [2]os.FileInfo
}

// NewFileSource loads certFile (PEM, leaf first, chain included) and keyFile
// (PEM, PKCS #8, PKCS #1 or SEC 1). It fails with a one-line error naming
// the file when a file cannot be read or parsed, when the key does not
// belong to the certificate, and when the certificate has expired or is
// not yet valid.
func NewFileSource(certFile, keyFile string, cfg FileConfig) (*FileSource, error) {
	f := &FileSource{
		certFile: certFile, keyFile: keyFile,
		now: cfg.Now, log: cfg.Logger, interval: cfg.Interval,
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.interval <= 0 {
		f.interval = 5 * time.Second
	}
	f.seen = f.stat()
	cert, err := loadKeyPair(certFile, keyFile, f.now())
	if err != nil {
		return nil, err
	}
	f.cert.Store(cert)
	return f, nil
}

// GetCertificate returns the certificate loaded last; it suits
// tls.Config.GetCertificate.
func (f *FileSource) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return f.cert.Load(), nil
}

// TLSConfig returns BaseConfig serving the loaded certificate, reloads
// included.
func (f *FileSource) TLSConfig() *tls.Config { return withCertificate(f.GetCertificate) }

// Reload reads the files again (the server calls it on SIGHUP). On error it
// keeps the certificate it had, logs the error and returns it.
func (f *FileSource) Reload() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = f.stat()
	return f.reloadLocked()
}

// Run checks the files every Interval and reloads them when the size,
// modification time or identity of either changed, until ctx ends. It then
// returns nil.
func (f *FileSource) Run(ctx context.Context) error {
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			f.reloadIfChanged()
		}
	}
}

// reloadIfChanged reloads when stat differs from what the last look saw.
// A failed reload is not retried until the files change again, so that a
// half-written pair is logged once rather than every Interval.
func (f *FileSource) reloadIfChanged() {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.stat()
	if sameFile(now[0], f.seen[0]) && sameFile(now[1], f.seen[1]) {
		return
	}
	f.seen = now
	f.reloadLocked() // logged inside
}

func (f *FileSource) reloadLocked() error {
	cert, err := loadKeyPair(f.certFile, f.keyFile, f.now())
	if err != nil {
		f.log.Error("certificate reload failed; keeping the previous certificate", "err", err)
		return err
	}
	f.cert.Store(cert)
	f.log.Info("certificate reloaded", "file", f.certFile,
		"subject", cert.Leaf.Subject.String(), "not_after", cert.Leaf.NotAfter)
	return nil
}

// stat returns what the files look like now; a file that cannot be
// stat'ed is nil.
func (f *FileSource) stat() [2]os.FileInfo {
	var s [2]os.FileInfo
	for i, name := range []string{f.certFile, f.keyFile} {
		s[i], _ = os.Stat(name) // a missing file shows as nil, and a change when it reappears
	}
	return s
}

// sameFile reports whether a and b describe the same, unchanged file.
func sameFile(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}

// loadKeyPair reads and checks a certificate file and its key file.
func loadKeyPair(certFile, keyFile string, now time.Time) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("certs: read certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("certs: read key: %w", err)
	}
	chain, err := parseCertificates(certPEM)
	if err != nil {
		return nil, fmt.Errorf("certs: certificate file %s: %w", certFile, err)
	}
	leaf := chain[0]
	if now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("certs: certificate file %s: certificate expired on %s", certFile, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return nil, fmt.Errorf("certs: certificate file %s: certificate is not valid before %s", certFile, leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("certs: key file %s: %w", keyFile, err)
	}
	if !keyMatches(leaf, key) {
		return nil, fmt.Errorf("certs: key file %s does not match the certificate in %s", keyFile, certFile)
	}
	cert := &tls.Certificate{PrivateKey: key, Leaf: leaf}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return cert, nil
}
