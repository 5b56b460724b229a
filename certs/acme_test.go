package certs_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse/certs"
)

func TestNewACMERefusesBadConfig(t *testing.T) {
	st := openStore(t)
	tests := []struct {
		name string
		cfg  certs.ACMEConfig
		want string
	}{
		{"no domains", certs.ACMEConfig{Cache: st}, "at least one domain"},
		{"no cache", certs.ACMEConfig{Domains: []string{"example.com"}}, "cache is required"},
		{"wildcard", certs.ACMEConfig{Domains: []string{"*.example.com"}, Cache: st}, "wildcard"},
		{"single label", certs.ACMEConfig{Domains: []string{"localhost"}, Cache: st}, "fully qualified"},
		{"IP address", certs.ACMEConfig{Domains: []string{"192.0.2.1"}, Cache: st}, "IP address"},
		{"empty label", certs.ACMEConfig{Domains: []string{"example..com"}, Cache: st}, "not a valid"},
		{"empty name", certs.ACMEConfig{Domains: []string{""}, Cache: st}, "fully qualified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := certs.NewACME(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// countingCA is an HTTPS server that counts the requests it gets and
// answers none of them usefully: any request means the CA was contacted.
func countingCA(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.NotFound(w, r) // not retried by the ACME client
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestACMEHostPolicyRefusesUnknownName: autocert with a nil HostPolicy
// orders a certificate for whatever name a client sends in SNI, so anyone
// can burn the CA's rate limit. Names outside Domains must be refused
// without a single request to the CA.
func TestACMEHostPolicyRefusesUnknownName(t *testing.T) {
	ca, requests := countingCA(t)
	a, err := certs.NewACME(certs.ACMEConfig{
		Domains: []string{"gatehouse.test"}, Cache: openStore(t),
		DirectoryURL: ca.URL + "/dir", HTTPClient: ca.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, a.TLSConfig())
	for _, name := range []string{"evil.test", "gatehouse.test.evil.test", "sub.gatehouse.test", "127.0.0.1", ""} {
		_, err := handshake(t, addr, &tls.Config{ServerName: name, InsecureSkipVerify: true})
		if err == nil {
			t.Errorf("handshake for %q succeeded", name)
		}
	}
	h := a.HTTPHandler(nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "http://evil.test/.well-known/acme-challenge/tok", nil))
	if rec.Code != http.StatusForbidden {
		t.Errorf("HTTP-01 request for an unknown host: %d", rec.Code)
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("the CA got %d requests for names outside the whitelist", n)
	}
	// The control: a configured name does reach the CA, so the count above
	// can see a contact.
	handshake(t, addr, &tls.Config{ServerName: "gatehouse.test", InsecureSkipVerify: true})
	if requests.Load() == 0 {
		t.Fatal("a configured name did not reach the CA")
	}
}

func TestACMEHTTPHandlerServesTokensFromCache(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a, err := certs.NewACME(certs.ACMEConfig{Domains: []string{"gatehouse.test"}, Cache: st})
	if err != nil {
		t.Fatal(err)
	}
	// Another replica answering the same challenge leaves the key
	// authorization in the shared cache under "<token>+http-01".
	if err := (certs.StoreCache{C: st}).Put(ctx, "tok123+http-01", []byte("tok123.thumb")); err != nil {
		t.Fatal(err)
	}
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fallback") })
	srv := httptest.NewServer(a.HTTPHandler(fallback))
	t.Cleanup(srv.Close)
	tests := []struct {
		path, host string
		code       int
		body       string
	}{
		{"/.well-known/acme-challenge/tok123", "gatehouse.test", 200, "tok123.thumb"},
		{"/.well-known/acme-challenge/other", "gatehouse.test", 404, ""},
		{"/.well-known/acme-challenge/tok123", "gatehouse.test:8080", 200, "tok123.thumb"},
		{"/.well-known/acme-challenge/tok123", "evil.test", 403, ""},
		{"/.well-known/acme-challenge/tok123", "evil.test:80", 403, ""},
		{"/anything", "gatehouse.test", 200, "fallback"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
		req.Host = tt.host
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.code || (tt.body != "" && string(body) != tt.body) {
			t.Errorf("%s %s: %d %q, want %d %q", tt.host, tt.path, res.StatusCode, body, tt.code, tt.body)
		}
	}
}

func TestACMETLSConfig(t *testing.T) {
	a, err := certs.NewACME(certs.ACMEConfig{Domains: []string{"gatehouse.test"}, Cache: openStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	c := a.TLSConfig()
	if c.MinVersion != tls.VersionTLS12 || len(c.CipherSuites) == 0 {
		t.Error("ACME config is not hardened")
	}
	if strings.Join(c.NextProtos, ",") != "h2,http/1.1,acme-tls/1" {
		t.Errorf("NextProtos = %v", c.NextProtos)
	}
}
