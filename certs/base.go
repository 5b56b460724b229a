// Package certs provides the *tls.Config that Gatehouse's HTTPS server uses,
// from one of three sources:
//
//   - a local development CA (DevCA), created on first run in a directory
//     and reused afterwards, for https://localhost;
//   - certificate files (NewFileSource), reloaded when they change on disk
//     or when Reload is called (on SIGHUP);
//   - ACME (NewACME), which obtains and renews certificates from Let's
//     Encrypt or another ACME CA and shares them between replicas through
//     the store's CertCache.
//
// Every source starts from BaseConfig, so that all of them offer the same
// protocol versions and cipher suites.
//
// # Hardening
//
// TLS 1.0 and 1.1 are refused. For TLS 1.2 only ECDHE key exchange with
// AEAD ciphers (AES-GCM, ChaCha20-Poly1305) is offered: Go's defaults for
// TLS 1.2 still include CBC suites. TLS 1.3 is used as Go configures it.
package certs

import "crypto/tls"

// aeadSuites are the only TLS 1.2 cipher suites offered: forward-secret key
// exchange and authenticated encryption. Go ignores the order and the list
// for TLS 1.3.
var aeadSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// BaseConfig returns a new hardened server configuration without a
// certificate: TLS 1.2 at least, only ECDHE AEAD suites for TLS 1.2, and
// ALPN for HTTP/2 and HTTP/1.1. Each call returns a fresh value that the
// caller may modify.
func BaseConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		CipherSuites: append([]uint16(nil), aeadSuites...),
		NextProtos:   []string{"h2", "http/1.1"},
	}
}

// withCertificate returns BaseConfig serving the certificates get returns.
func withCertificate(get func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	c := BaseConfig()
	c.GetCertificate = get
	return c
}
