package certs_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"

	"github.com/gatehouse-dev/gatehouse/certs"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// testDomain resolves to 127.0.0.1 through the test's DNS server; .test is
// reserved (RFC 2606), so it can never be a real name.
const testDomain = "gatehouse.test"

// pebbleCA is Pebble (Let's Encrypt's test CA) running in-process.
type pebbleCA struct {
	srv          *httptest.Server // the ACME API over HTTPS
	root, interm *x509.Certificate
}

// directory returns the ACME directory URL.
func (p *pebbleCA) directory() string { return p.srv.URL + wfe.DirectoryPath }

// roots returns a pool holding Pebble's root only.
func (p *pebbleCA) roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.root)
	return pool
}

// startPebble wires Pebble's database, CA, VA and WFE as its main does. Its
// VA validates http-01 on 127.0.0.1:httpPort and tls-alpn-01 on
// 127.0.0.1:tlsPort. Its API is served over TLS with httptest's
// throwaway certificate, which p.srv.Client() trusts.
func startPebble(t *testing.T, httpPort, tlsPort int) *pebbleCA {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")      // no random sleep before validating
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0") // no deliberate badNonce errors
	t.Setenv("PEBBLE_AUTHZREUSE", "0")      // every order validates afresh
	logger := log.New(pebbleLog(t), "pebble ", log.Lmicroseconds)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	validator := va.New(logger, httpPort, tlsPort, false, startDNS(t), store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(srv.Close)
	return &pebbleCA{srv: srv, root: authority.GetRootCert(0).Cert, interm: authority.GetIntermediateCert(0).Cert}
}

// pebbleLog collects Pebble's log and shows it only when the test fails.
func pebbleLog(t *testing.T) *lockedBuffer {
	b := new(lockedBuffer)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pebble log:\n%s", b.String())
		}
	})
	return b
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startDNS runs a DNS server over TCP on loopback (Pebble's VA asks its
// custom resolver over TCP) that answers every A query with 127.0.0.1 and
// nothing else, so that the VA dials the test's servers.
func startDNS(t *testing.T) string {
	t.Helper()
	started := make(chan struct{})
	srv := &dns.Server{
		Listener:          listen(t),
		Net:               "tcp",
		NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(q)
			for _, qq := range q.Question {
				if qq.Qtype == dns.TypeA {
					m.Answer = append(m.Answer, &dns.A{
						Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET},
						A:   net.IPv4(127, 0, 0, 1),
					})
				}
			}
			w.WriteMsg(m)
		}),
	}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return srv.Listener.Addr().String()
}

// port returns a listener's port.
func port(ln net.Listener) int { return ln.Addr().(*net.TCPAddr).Port }

// deadPort returns a loopback port on which nothing listens, so that the
// VA's attempts on it fail at once.
func deadPort(t *testing.T) int {
	ln := listen(t)
	p := port(ln)
	ln.Close()
	return p
}

// newPebbleACME returns an ACME talking to p with st as its cache.
func newPebbleACME(t *testing.T, p *pebbleCA, st *sqlite.Store) *certs.ACME {
	t.Helper()
	a, err := certs.NewACME(certs.ACMEConfig{
		Domains: []string{testDomain}, Email: "ops@gatehouse.test", Cache: st,
		DirectoryURL: p.directory(), HTTPClient: p.srv.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// checkIssued checks that st is a verified handshake for testDomain whose
// chain is the leaf, Pebble's intermediate and Pebble's root, and that the
// cache holds the account key and that certificate.
func checkIssued(t *testing.T, p *pebbleCA, st *sqlite.Store, cs tls.ConnectionState) {
	t.Helper()
	leaf := cs.PeerCertificates[0]
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != testDomain {
		t.Errorf("leaf names %v", leaf.DNSNames)
	}
	chain := cs.VerifiedChains[0]
	if len(chain) != 3 || !chain[1].Equal(p.interm) || !chain[2].Equal(p.root) {
		t.Errorf("chain does not run through Pebble's intermediate to its root: %d certificates", len(chain))
	}
	ctx := context.Background()
	if key, err := st.CertData(ctx, "acme_account+key"); err != nil || !bytes.Contains(key, []byte("PRIVATE KEY")) {
		t.Errorf("account key not in the store: %v", err)
	}
	data, err := st.CertData(ctx, testDomain)
	if err != nil {
		t.Fatalf("certificate not in the store: %v", err)
	}
	for b, rest := pem.Decode(data); b != nil; b, rest = pem.Decode(rest) {
		if b.Type == "CERTIFICATE" && bytes.Equal(b.Bytes, leaf.Raw) {
			return
		}
	}
	t.Error("the stored certificate is not the one served")
}

// TestACMEPebbleTLSALPN01 obtains a real certificate from Pebble, which
// validates it by connecting to the test's TLS listener with acme-tls/1.
// The VA's HTTP port is dead, so only TLS-ALPN-01 can succeed.
func TestACMEPebbleTLSALPN01(t *testing.T) {
	ln := listen(t)
	p := startPebble(t, deadPort(t), port(ln))
	st := openStore(t)
	addr := serveTLSOn(t, ln, newPebbleACME(t, p, st).TLSConfig())

	cs, err := handshake(t, addr, &tls.Config{ServerName: testDomain, RootCAs: p.roots()})
	if err != nil {
		t.Fatal(err)
	}
	checkIssued(t, p, st, cs)
}

// TestACMEPebbleHTTP01 obtains a certificate validated over HTTP-01: the
// VA's TLS port is dead, so TLS-ALPN-01 fails and the manager falls back to
// HTTP-01, answered by HTTPHandler on the plain-HTTP listener.
func TestACMEPebbleHTTP01(t *testing.T) {
	ln := listen(t)
	plain := httptest.NewUnstartedServer(nil) // listening, so that its port is known
	p := startPebble(t, port(plain.Listener), deadPort(t))
	st := openStore(t)
	a := newPebbleACME(t, p, st)
	plain.Config.Handler = a.HTTPHandler(http.NotFoundHandler())
	plain.Start()
	t.Cleanup(plain.Close)
	addr := serveTLSOn(t, ln, a.TLSConfig())

	cs, err := handshake(t, addr, &tls.Config{ServerName: testDomain, RootCAs: p.roots()})
	if err != nil {
		t.Fatal(err)
	}
	checkIssued(t, p, st, cs)
}

// TestACMEPebbleSharedCache: a second instance sharing the store serves the
// certificate the first obtained, with the CA gone.
func TestACMEPebbleSharedCache(t *testing.T) {
	ln := listen(t)
	p := startPebble(t, deadPort(t), port(ln))
	st := openStore(t)
	addr := serveTLSOn(t, ln, newPebbleACME(t, p, st).TLSConfig())
	first, err := handshake(t, addr, &tls.Config{ServerName: testDomain, RootCAs: p.roots()})
	if err != nil {
		t.Fatal(err)
	}

	p.srv.Close() // from here on, any request to the CA fails
	addr2 := serveTLS(t, newPebbleACME(t, p, st).TLSConfig())
	second, err := handshake(t, addr2, &tls.Config{ServerName: testDomain, RootCAs: p.roots()})
	if err != nil {
		t.Fatalf("second instance without the CA: %v", err)
	}
	if !second.PeerCertificates[0].Equal(first.PeerCertificates[0]) {
		t.Fatal("second instance serves a different certificate")
	}
}
