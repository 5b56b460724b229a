package certs_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/certs"
)

func mustDevCA(t *testing.T, dir string, now time.Time) *certs.Dev {
	t.Helper()
	dev, err := certs.DevCA(dir, certs.DevConfig{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

func TestDevCACreatesFilesPrivately(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dev")
	dev := mustDevCA(t, dir, time.Now())
	if dev.CAPath() != filepath.Join(dir, certs.DevCAFile) {
		t.Errorf("CAPath = %s", dev.CAPath())
	}
	modes := map[string]os.FileMode{
		"": 0o700, certs.DevCAKeyFile: 0o600, certs.DevCertKeyFile: 0o600,
		certs.DevCAFile: 0o644, certs.DevCertFile: 0o644,
	}
	for name, want := range modes {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%q: mode %v, want %v", name, got, want)
		}
	}
	ca := readCert(t, dev.CAPath())
	if ca.Subject.CommonName != "Gatehouse Development CA" || !ca.IsCA {
		t.Errorf("CA subject %q, IsCA %v", ca.Subject, ca.IsCA)
	}
	if life := ca.NotAfter.Sub(ca.NotBefore); life < 9*365*24*time.Hour {
		t.Errorf("CA lifetime %v", life)
	}
	leaf := readCert(t, filepath.Join(dir, certs.DevCertFile))
	if life := leaf.NotAfter.Sub(leaf.NotBefore); life > 826*24*time.Hour {
		t.Errorf("leaf lifetime %v exceeds 825 days", life)
	}
}

func TestDevCAReusesFiles(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	first := mustDevCA(t, dir, now)
	caPEM, _ := os.ReadFile(first.CAPath())
	leaf1 := readCert(t, filepath.Join(dir, certs.DevCertFile))
	second := mustDevCA(t, dir, now.Add(24*time.Hour))
	caPEM2, _ := os.ReadFile(second.CAPath())
	leaf2 := readCert(t, filepath.Join(dir, certs.DevCertFile))
	if !bytes.Equal(caPEM, caPEM2) {
		t.Error("CA was replaced")
	}
	if leaf1.SerialNumber.Cmp(leaf2.SerialNumber) != 0 {
		t.Error("leaf was reissued")
	}
	c, _ := second.GetCertificate(&tls.ClientHelloInfo{ServerName: "localhost"})
	if !bytes.Equal(c.Certificate[0], leaf1.Raw) {
		t.Error("GetCertificate does not serve the certificate on disk")
	}
}

func TestDevCAServesEveryLocalName(t *testing.T) {
	dev := mustDevCA(t, t.TempDir(), time.Now())
	addr := serveTLS(t, dev.TLSConfig())
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		_, err := handshake(t, addr, &tls.Config{RootCAs: dev.CertPool(), ServerName: name})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A name outside DevHosts must fail: the certificate is not a wildcard.
	if _, err := handshake(t, addr, &tls.Config{RootCAs: dev.CertPool(), ServerName: "example.com"}); err == nil {
		t.Error("example.com verified")
	}
}

func TestDevCAReissuesUnusableLeaf(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		at     time.Time
	}{
		{"missing", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, certs.DevCertFile)) }, now},
		{"garbage", func(t *testing.T, dir string) { writeAtomic(t, filepath.Join(dir, certs.DevCertFile), []byte("x")) }, now},
		{"near expiry", func(*testing.T, string) {}, now.Add(800 * 24 * time.Hour)},
		{"expired", func(*testing.T, string) {}, now.Add(900 * 24 * time.Hour)},
		{"lacks ::1", func(t *testing.T, dir string) { signLeaf(t, dir, "localhost", "127.0.0.1") }, now},
		{"signed by another CA", func(t *testing.T, dir string) {
			c, k := newCert(t, certSpec{names: certs.DevHosts(), notBefore: now.Add(-time.Hour), notAfter: now.Add(400 * 24 * time.Hour)})
			writeCertPEM(t, filepath.Join(dir, certs.DevCertFile), c)
			writeKeyPEM(t, filepath.Join(dir, certs.DevCertKeyFile), k)
		}, now},
		{"key of another certificate", func(t *testing.T, dir string) {
			_, k := newCert(t, validSpec())
			writeKeyPEM(t, filepath.Join(dir, certs.DevCertKeyFile), k)
		}, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mustDevCA(t, dir, now)
			caPEM, _ := os.ReadFile(filepath.Join(dir, certs.DevCAFile))
			old := readCert(t, filepath.Join(dir, certs.DevCertFile))
			tt.damage(t, dir)
			dev := mustDevCA(t, dir, tt.at)
			leaf := readCert(t, filepath.Join(dir, certs.DevCertFile))
			if leaf.SerialNumber.Cmp(old.SerialNumber) == 0 {
				t.Fatal("leaf not reissued")
			}
			if caPEM2, _ := os.ReadFile(dev.CAPath()); !bytes.Equal(caPEM, caPEM2) {
				t.Error("CA replaced")
			}
			for _, h := range certs.DevHosts() {
				if _, err := leaf.Verify(x509.VerifyOptions{Roots: dev.CertPool(), DNSName: h, CurrentTime: tt.at}); err != nil {
					t.Errorf("%s: %v", h, err)
				}
			}
		})
	}
}

// signLeaf replaces the leaf with one for names, signed by the CA in dir.
func signLeaf(t *testing.T, dir string, names ...string) *x509.Certificate {
	t.Helper()
	ca, caKey := readCert(t, filepath.Join(dir, certs.DevCAFile)), readKey(t, filepath.Join(dir, certs.DevCAKeyFile))
	spec := validSpec()
	spec.names, spec.parent, spec.parentKey = names, ca, caKey
	c, k := newCert(t, spec)
	writeCertPEM(t, filepath.Join(dir, certs.DevCertFile), c)
	writeKeyPEM(t, filepath.Join(dir, certs.DevCertKeyFile), k)
	return c
}

// TestDevCAConstrainedToLoopback: a developer who trusts the development
// CA must not trust it for real sites should its key leak.
func TestDevCAConstrainedToLoopback(t *testing.T) {
	dir := t.TempDir()
	dev := mustDevCA(t, dir, time.Now())
	for _, name := range []string{"example.com", "10.0.0.1", "localhost.example.com"} {
		leaf := signLeaf(t, dir, name)
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: dev.CertPool(), DNSName: name}); err == nil {
			t.Errorf("a leaf for %s signed by the development CA verifies", name)
		}
	}
}

func TestDevCAReplacesExpiredCA(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	mustDevCA(t, dir, now)
	old := readCert(t, filepath.Join(dir, certs.DevCAFile))
	later := now.Add(11 * 365 * 24 * time.Hour)
	dev := mustDevCA(t, dir, later)
	ca := readCert(t, dev.CAPath())
	if ca.SerialNumber.Cmp(old.SerialNumber) == 0 {
		t.Fatal("expired CA kept")
	}
	leaf := readCert(t, filepath.Join(dir, certs.DevCertFile))
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: dev.CertPool(), DNSName: "localhost", CurrentTime: later}); err != nil {
		t.Error(err)
	}
}

func TestDevCARefusesDamagedCA(t *testing.T) {
	dir := t.TempDir()
	mustDevCA(t, dir, time.Now())
	writeAtomic(t, filepath.Join(dir, certs.DevCAKeyFile), []byte("not a key"))
	_, err := certs.DevCA(dir, certs.DevConfig{})
	if err == nil || !strings.Contains(err.Error(), certs.DevCAKeyFile) {
		t.Fatalf("err = %v, want one naming %s", err, certs.DevCAKeyFile)
	}
}
