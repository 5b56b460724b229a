package certs_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// serveTLS accepts connections on a loopback port and completes a TLS
// handshake on each with cfg, until the test ends. It returns the address.
func serveTLS(t testing.TB, cfg *tls.Config) string {
	t.Helper()
	return serveTLSOn(t, listen(t), cfg)
}

// listen returns a listener on a free loopback port.
func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// serveTLSOn is serveTLS on a listener the caller made, for when the port
// must be known before the config.
func serveTLSOn(t testing.TB, ln net.Listener, cfg *tls.Config) string {
	t.Helper()
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				tc := tls.Server(c, cfg)
				if tc.Handshake() == nil {
					tc.Write([]byte{0}) // lets the client see the end of a TLS 1.3 handshake
				}
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// handshake dials addr with cfg and returns the connection state.
func handshake(t testing.TB, addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	tc := c.(*tls.Conn)
	// Reading the byte the server writes surfaces a rejection of the
	// client's certificate or Finished message in TLS 1.3.
	if _, err := tc.Read(make([]byte, 1)); err != nil {
		return tls.ConnectionState{}, err
	}
	return tc.ConnectionState(), nil
}

// certSpec describes a test certificate.
type certSpec struct {
	names               []string
	notBefore, notAfter time.Time
	parent              *x509.Certificate // nil: self-signed
	parentKey           *ecdsa.PrivateKey
}

// newCert creates an ECDSA certificate from s and returns it with its key.
func newCert(t testing.TB, s certSpec) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "test"},
		NotBefore:    s.notBefore,
		NotAfter:     s.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range s.names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	parent, parentKey := s.parent, s.parentKey
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// validSpec is a certificate for localhost, valid around now.
func validSpec() certSpec {
	now := time.Now()
	return certSpec{names: []string{"localhost", "127.0.0.1"}, notBefore: now.Add(-time.Hour), notAfter: now.Add(24 * time.Hour)}
}

// writeCertPEM writes cert to path by renaming a temporary file over it,
// as deployment tools do.
func writeCertPEM(t testing.TB, path string, cert *x509.Certificate) {
	t.Helper()
	writeAtomic(t, path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
}

// writeKeyPEM writes key to path in PKCS #8.
func writeKeyPEM(t testing.TB, path string, key *ecdsa.PrivateKey) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func writeAtomic(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".new-"+filepath.Base(path))
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// readCert returns the first certificate in a PEM file.
func readCert(t testing.TB, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readKey returns the PKCS #8 ECDSA key in a PEM file.
func readKey(t testing.TB, path string) *ecdsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s: no PEM", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*ecdsa.PrivateKey)
}

// logRecorder is a slog.Handler that sends each record's message to a
// channel, so that tests can wait for an event instead of sleeping.
type logRecorder struct{ msgs chan string }

func newLogRecorder() (*slog.Logger, <-chan string) {
	r := logRecorder{msgs: make(chan string, 100)}
	return slog.New(r), r.msgs
}

func (r logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r logRecorder) Handle(_ context.Context, rec slog.Record) error {
	select {
	case r.msgs <- rec.Message:
		return nil
	default:
		return errors.New("log recorder full")
	}
}
func (r logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r logRecorder) WithGroup(string) slog.Handler      { return r }

// waitFor returns when msg has been logged, and fails the test after ten
// seconds.
func waitFor(t testing.TB, msgs <-chan string, msg string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-msgs:
			if m == msg {
				return
			}
		case <-timeout:
			t.Fatalf("no log message %q", msg)
		}
	}
}
