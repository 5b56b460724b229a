package certs_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/certs"
)

// pairFiles writes cert and key to a temporary directory and returns the
// paths.
func pairFiles(t *testing.T, spec certSpec) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	cert, key := newCert(t, spec)
	writeCertPEM(t, certFile, cert)
	writeKeyPEM(t, keyFile, key)
	return certFile, keyFile, cert
}

// servedSerial returns the serial of the certificate addr serves.
func servedSerial(t *testing.T, addr string) string {
	t.Helper()
	st, err := handshake(t, addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	return st.PeerCertificates[0].SerialNumber.String()
}

func TestFileSourceStartupErrors(t *testing.T) {
	now := time.Now()
	expiry := now.Add(-48 * time.Hour)
	tests := []struct {
		name  string
		setup func(t *testing.T) (certFile, keyFile string)
		want  []string // substrings of the one-line error
	}{
		{"expired", func(t *testing.T) (string, string) {
			c, k, _ := pairFiles(t, certSpec{names: []string{"localhost"}, notBefore: now.Add(-96 * time.Hour), notAfter: expiry})
			return c, k
		}, []string{"cert.pem", "expired on " + expiry.UTC().Format(time.DateOnly)}},
		{"not yet valid", func(t *testing.T) (string, string) {
			c, k, _ := pairFiles(t, certSpec{names: []string{"localhost"}, notBefore: now.Add(time.Hour), notAfter: now.Add(48 * time.Hour)})
			return c, k
		}, []string{"cert.pem", "not valid before"}},
		{"mismatched key", func(t *testing.T) (string, string) {
			c, _, _ := pairFiles(t, validSpec())
			_, k, _ := pairFiles(t, validSpec())
			return c, k
		}, []string{"key.pem", "does not match", "cert.pem"}},
		{"missing certificate", func(t *testing.T) (string, string) {
			_, k, _ := pairFiles(t, validSpec())
			return filepath.Join(t.TempDir(), "absent.pem"), k
		}, []string{"absent.pem", "no such file"}},
		{"unreadable key", func(t *testing.T) (string, string) {
			c, k, _ := pairFiles(t, validSpec())
			os.WriteFile(k, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
			return c, k
		}, []string{"key.pem", "unreadable private key"}},
		{"not PEM", func(t *testing.T) (string, string) {
			c, k, _ := pairFiles(t, validSpec())
			os.WriteFile(c, []byte("hello"), 0o600)
			return c, k
		}, []string{"cert.pem", "no PEM certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, k := tt.setup(t)
			_, err := certs.NewFileSource(c, k, certs.FileConfig{})
			if err == nil {
				t.Fatal("loaded")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans lines: %q", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestFileSourceReload(t *testing.T) {
	certFile, keyFile, first := pairFiles(t, validSpec())
	log, msgs := newLogRecorder()
	src, err := certs.NewFileSource(certFile, keyFile, certs.FileConfig{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, src.TLSConfig())
	if got := servedSerial(t, addr); got != first.SerialNumber.String() {
		t.Fatalf("serves %s, want %s", got, first.SerialNumber)
	}

	// A broken pair is refused and the old certificate stays.
	second, key := newCert(t, validSpec())
	writeCertPEM(t, certFile, second) // the key is not written yet
	if err := src.Reload(); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("Reload with a mismatched key: %v", err)
	}
	waitFor(t, msgs, "certificate reload failed; keeping the previous certificate")
	if got := servedSerial(t, addr); got != first.SerialNumber.String() {
		t.Fatalf("after a failed reload serves %s, want the old %s", got, first.SerialNumber)
	}

	writeKeyPEM(t, keyFile, key)
	if err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := servedSerial(t, addr); got != second.SerialNumber.String() {
		t.Fatalf("serves %s, want the new %s", got, second.SerialNumber)
	}
}

func TestFileSourceRefusesExpiredReload(t *testing.T) {
	certFile, keyFile, first := pairFiles(t, validSpec())
	src, err := certs.NewFileSource(certFile, keyFile, certs.FileConfig{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	expired, key := newCert(t, certSpec{names: []string{"localhost"}, notBefore: now.Add(-48 * time.Hour), notAfter: now.Add(-time.Hour)})
	writeCertPEM(t, certFile, expired)
	writeKeyPEM(t, keyFile, key)
	if err := src.Reload(); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("Reload of an expired certificate: %v", err)
	}
	c, _ := src.GetCertificate(&tls.ClientHelloInfo{})
	if c.Leaf.SerialNumber.Cmp(first.SerialNumber) != 0 {
		t.Fatal("expired certificate replaced the valid one")
	}
}

func TestFileSourcePollsForChanges(t *testing.T) {
	certFile, keyFile, _ := pairFiles(t, validSpec())
	log, msgs := newLogRecorder()
	src, err := certs.NewFileSource(certFile, keyFile, certs.FileConfig{Logger: log, Interval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- src.Run(ctx) }()

	next, key := newCert(t, validSpec())
	writeKeyPEM(t, keyFile, key)
	writeCertPEM(t, certFile, next)
	// The poller may see the key before the certificate: wait for the
	// reload that succeeds.
	waitFor(t, msgs, "certificate reloaded")
	c, _ := src.GetCertificate(&tls.ClientHelloInfo{})
	if c.Leaf.SerialNumber.Cmp(next.SerialNumber) != 0 {
		t.Fatal("poller did not load the new certificate")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}
