package browsertest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"image/color"
	"image/png"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse/internal/browsertest"
)

// badPage breaks three rules the console's pages are checked for: a field
// without a label, text without contrast, and no level-one heading.
const badPage = `<!doctype html><html lang="en"><head><title>bad</title></head><body><main>
<h3>Skipped levels</h3>
<p style="color:#bbb;background:#fff">Faint text</p>
<form><input type="text" name="q"></form>
</main></body></html>`

func serve(t *testing.T, body string) *httptest.Server {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(body))
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestAxeFindsViolations shows that the accessibility check is not
// vacuous: on a page that breaks the rules, it reports each of them.
func TestAxeFindsViolations(t *testing.T) {
	ts := serve(t, badPage)
	ctx := browsertest.New(t, browsertest.Options{TrustCert: ts.Certificate()})
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL)); err != nil {
		t.Fatal(err)
	}
	vs, err := browsertest.Axe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	for _, want := range []string{"label", "color-contrast", "page-has-heading-one"} {
		if !slices.Contains(ids, want) {
			t.Errorf("axe did not report %q; it reported %v", want, ids)
		}
	}
}

// TestOnlyTheTrustedCertificateIsAccepted shows that trusting the test
// server's certificate does not make the browser accept any other.
func TestOnlyTheTrustedCertificateIsAccepted(t *testing.T) {
	trusted := serve(t, "<p>trusted</p>")
	other := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	other.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	other.StartTLS()
	t.Cleanup(other.Close)
	ctx := browsertest.New(t, browsertest.Options{TrustCert: trusted.Certificate()})
	if err := chromedp.Do(ctx, chromedp.Navigate(trusted.URL)); err != nil {
		t.Fatalf("trusted server: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := chromedp.Do(tctx, chromedp.Navigate(other.URL))
	if err == nil || !strings.Contains(err.Error(), "ERR_CERT") {
		t.Fatalf("a server with another self-signed certificate: %v, want a certificate error", err)
	}
}

// selfSigned returns a new self-signed certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestScreenshotIsSmallPalettedPNG(t *testing.T) {
	ts := serve(t, `<!doctype html><title>x</title><h1>Screenshot</h1><p>Some text.</p>`)
	ctx := browsertest.New(t, browsertest.Options{TrustCert: ts.Certificate(), Width: 800, Height: 600})
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "shot.png")
	if err := browsertest.Screenshot(ctx, path, false); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 800 {
		t.Errorf("width %d, want 800", cfg.Width)
	}
	if pal, ok := cfg.ColorModel.(color.Palette); !ok || len(pal) > 256 {
		t.Errorf("the screenshot is not a paletted PNG: %T", cfg.ColorModel)
	}
}
