package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"time"
)

// createCA writes a new ECDSA P-256 CA, valid for ten years. Its name
// constraints limit it to localhost and loopback addresses, so that a
// developer who trusts it system-wide trusts nothing else should its key
// leak.
func createCA(certPath, keyPath string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	tmpl := &x509.Certificate{
		Subject:                     pkix.Name{CommonName: devCAName, Organization: []string{"Gatehouse"}},
		NotBefore:                   now.Add(-devBackdate),
		NotAfter:                    now.Add(devCALifetime),
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid:       true,
		IsCA:                        true,
		MaxPathLenZero:              true,
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         []string{"localhost"},
		PermittedIPRanges: []*net.IPNet{
			{IP: net.IPv4(127, 0, 0, 0).To4(), Mask: net.CIDRMask(8, 32)},
			{IP: net.IPv6loopback, Mask: net.CIDRMask(128, 128)},
		},
	}
	cert, key, err := issue(tmpl, nil, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: create development CA: %w", err)
	}
	if err := writePair(certPath, keyPath, cert, key); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// issueLeaf writes a new ECDSA P-256 server certificate for DevHosts,
// signed by ca and valid for 825 days or until the CA expires.
func issueLeaf(certPath, keyPath string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time) (*tls.Certificate, error) {
	notAfter := now.Add(devLeafLifetime)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost", Organization: []string{"Gatehouse development"}},
		NotBefore:   now.Add(-devBackdate),
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	cert, key, err := issue(tmpl, ca, caKey)
	if err != nil {
		return nil, fmt.Errorf("certs: issue localhost certificate: %w", err)
	}
	if err := writePair(certPath, keyPath, cert, key); err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, nil
}

// issue creates a key and a certificate from tmpl, signed by parent (or
// self-signed when parent is nil).
func issue(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	tmpl.SerialNumber = serial
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// writePair writes the key (mode 0600) and then the certificate, so that a
// certificate on disk always has its key beside it.
func writePair(certPath, keyPath string, cert *x509.Certificate, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("certs: encode key for %s: %w", keyPath, err)
	}
	if err := writePEM(keyPath, "PRIVATE KEY", der, 0o600); err != nil {
		return err
	}
	return writePEM(certPath, "CERTIFICATE", cert.Raw, 0o644)
}
