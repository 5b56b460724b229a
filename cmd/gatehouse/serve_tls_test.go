package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/certs"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// startServeBare is startServe for certificate sources other than the
// development CA: it waits for the listening and plain-HTTP lines of the
// banner (there is no CA or curl line) and leaves client nil.
func startServeBare(t *testing.T, getenv func(string) string, args ...string) *served {
	t.Helper()
	return launchServe(t, getenv, false, args)
}

// TestServeACMEServesHTTP01OnPlainListener: serve --acme-domain puts the
// ACME HTTP-01 handler in front of the plain listener's redirect. A
// challenge token that is in the store's certificate cache (as another
// replica would have left it) is answered; any other path is redirected.
func TestServeACMEServesHTTP01OnPlainListener(t *testing.T) {
	getenv, dir := testEnv(t, nil)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "gatehouse.db"), sqlite.Config{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := (certs.StoreCache{C: st}).Put(ctx, "tok123+http-01", []byte("tok123.thumb")); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// The directory is never contacted: no TLS handshake asks for a
	// certificate in this test.
	s := startServeBare(t, getenv, "--acme-domain", "gatehouse.test", "--acme-directory", "https://127.0.0.1:1/directory")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+s.httpAddr+path, nil)
		req.Host = "gatehouse.test"
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := get("/.well-known/acme-challenge/tok123"); resp.StatusCode != 200 || body != "tok123.thumb" {
		t.Errorf("challenge: %d %q, want 200 %q", resp.StatusCode, body, "tok123.thumb")
	}
	_, port, _ := strings.Cut(s.addr, ":")
	resp, _ := get("/api/me?x=1")
	if want := "https://gatehouse.test:" + port + "/api/me?x=1"; resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Errorf("other path: %d %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

// TestServeReloadsCertificateOnSIGHUP: after the certificate files are
// replaced and the process gets SIGHUP, new handshakes get the new
// certificate. The new files have the old files' inode, size and
// modification time, so the change poller cannot be what reloads them.
func TestServeReloadsCertificateOnSIGHUP(t *testing.T) {
	getenv, dir := testEnv(t, nil)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM, keyPEM := selfSigned(t, 1, 0, 0)
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, keyPEM, 0o600)
	// Catch SIGHUP here too, so that a server that stopped catching it
	// fails this test instead of killing the test binary.
	caught := make(chan os.Signal, 1)
	signal.Notify(caught, syscall.SIGHUP)
	t.Cleanup(func() { signal.Stop(caught) })

	s := startServeBare(t, getenv, "--tls-cert", certFile, "--tls-key", keyFile)
	if got := servedSerial(t, s.addr); got != "1" {
		t.Fatalf("serial %s before the reload, want 1", got)
	}
	newCert, newKey := selfSigned(t, 2, len(certPEM), len(keyPEM))
	replaceInPlace(t, certFile, newCert)
	replaceInPlace(t, keyFile, newKey)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for servedSerial(t, s.addr) != "2" {
		if time.Now().After(deadline) {
			t.Fatalf("still serving the old certificate 10s after SIGHUP; log:\n%s", s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond) // the reload runs in the server's goroutine: nothing to wait on
	}
	if !strings.Contains(s.stderr.String(), `"msg":"certificate reloaded"`) {
		t.Errorf("no reload logged:\n%s", s.stderr.String())
	}
}

// servedSerial returns the serial of the certificate served on addr.
func servedSerial(t *testing.T, addr string) string {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

// selfSigned returns a PEM certificate for localhost with the serial given
// and its PEM key. Non-zero sizes are the lengths the two must have (an
// ECDSA signature's length varies), so it retries until they match.
func selfSigned(t *testing.T, serial int64, certSize, keySize int) (certPEM, keyPEM []byte) {
	t.Helper()
	for range 1000 {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		pk, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})
		if (certSize == 0 || len(certPEM) == certSize) && (keySize == 0 || len(keyPEM) == keySize) {
			return certPEM, keyPEM
		}
	}
	t.Fatal("no certificate of the wanted size")
	return nil, nil
}

// replaceInPlace overwrites path with data of the same length and puts the
// old modification time back: stat sees the same file, unchanged.
func replaceInPlace(t *testing.T, path string, data []byte) {
	t.Helper()
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != before.Size() {
		t.Fatalf("%s: %d bytes, want %d", path, len(data), before.Size())
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, before.ModTime(), before.ModTime()); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(path)
	if !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Fatalf("%s: stat changed", path)
	}
}
