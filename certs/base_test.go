package certs_test

import (
	"crypto/tls"
	"slices"
	"testing"

	"github.com/gatehouse-dev/gatehouse/certs"
)

// devServer serves the development certificate of a fresh DevCA with cfg
// built from it, and returns the address and a client config that trusts it.
func devServer(t *testing.T) (string, *tls.Config) {
	t.Helper()
	dev, err := certs.DevCA(t.TempDir(), certs.DevConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return serveTLS(t, dev.TLSConfig()), &tls.Config{RootCAs: dev.CertPool(), ServerName: "localhost"}
}

func TestBaseConfigRefusesWeakClients(t *testing.T) {
	addr, trust := devServer(t)
	cbc := []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	}
	tests := []struct {
		name     string
		min, max uint16
		suites   []uint16
	}{
		{"TLS 1.0", tls.VersionTLS10, tls.VersionTLS10, nil},
		{"TLS 1.1", tls.VersionTLS11, tls.VersionTLS11, nil},
		{"TLS 1.2 CBC only (Go's 1.2 defaults still offer CBC)", tls.VersionTLS12, tls.VersionTLS12, cbc},
		{"TLS 1.2 RSA key exchange, no forward secrecy", tls.VersionTLS12, tls.VersionTLS12, []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := trust.Clone()
			cfg.MinVersion, cfg.MaxVersion, cfg.CipherSuites = tt.min, tt.max, tt.suites
			if st, err := handshake(t, addr, cfg); err == nil {
				t.Fatalf("handshake succeeded with %s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
			}
		})
	}
}

func TestBaseConfigAcceptsModernClients(t *testing.T) {
	addr, trust := devServer(t)
	tests := []struct {
		name    string
		max     uint16
		suite   uint16 // 0: any
		version uint16
	}{
		{"TLS 1.2 AES-128-GCM", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.VersionTLS12},
		{"TLS 1.2 AES-256-GCM", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.VersionTLS12},
		{"TLS 1.2 ChaCha20-Poly1305", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.VersionTLS12},
		{"TLS 1.3", tls.VersionTLS13, 0, tls.VersionTLS13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := trust.Clone()
			cfg.MaxVersion = tt.max
			if tt.suite != 0 {
				cfg.CipherSuites = []uint16{tt.suite}
			}
			st, err := handshake(t, addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if st.Version != tt.version || (tt.suite != 0 && st.CipherSuite != tt.suite) {
				t.Fatalf("got %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
			}
		})
	}
}

func TestBaseConfigNegotiatesHTTP2(t *testing.T) {
	addr, trust := devServer(t)
	for _, protos := range [][]string{{"h2", "http/1.1"}, {"http/1.1"}} {
		cfg := trust.Clone()
		cfg.NextProtos = protos
		st, err := handshake(t, addr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if st.NegotiatedProtocol != protos[0] {
			t.Errorf("client offering %v got %q", protos, st.NegotiatedProtocol)
		}
	}
}

func TestBaseConfigOnlyAEADForTLS12(t *testing.T) {
	c := certs.BaseConfig()
	if c.MinVersion != tls.VersionTLS12 {
		t.Errorf("MinVersion = %s", tls.VersionName(c.MinVersion))
	}
	insecure := tls.InsecureCipherSuites()
	for _, id := range c.CipherSuites {
		for _, s := range insecure {
			if s.ID == id {
				t.Errorf("insecure suite %s offered", s.Name)
			}
		}
	}
	// Each call returns its own value: changing one does not weaken the next.
	c.CipherSuites[0], c.NextProtos[0] = tls.TLS_RSA_WITH_AES_128_CBC_SHA, "x"
	if d := certs.BaseConfig(); slices.Contains(d.CipherSuites, tls.TLS_RSA_WITH_AES_128_CBC_SHA) || d.NextProtos[0] != "h2" {
		t.Error("BaseConfig shares its slices between calls")
	}
}
