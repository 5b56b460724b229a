// Package browsertest runs Gatehouse's pages in a real, headless Chromium
// for tests, through chromedp: it finds the browser, starts it with a
// fresh profile, and offers what the tests check with it (cookies, an
// accessibility audit with axe-core, small screenshots).
//
// Without Chromium the tests that need it are skipped, except when
// CI=true: there a missing browser fails the test, so that CI never
// passes without having run them.
package browsertest

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvChromium names a variable that points at the Chromium binary to use.
const EnvChromium = "GATEHOUSE_CHROMIUM"

// candidates are the names Chromium goes by, tried in order on PATH.
var candidates = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// Chromium returns the path of the Chromium binary: EnvChromium when set,
// else the first candidate on PATH. Without one it skips tb, or fails it
// when CI=true.
func Chromium(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv(EnvChromium); p != "" {
		return p
	}
	for _, name := range candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "Chromium is not installed (apt-get install chromium, or set " + EnvChromium + ")"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg + ", and CI=true: the browser tests must run in CI")
	}
	tb.Skip(msg + ": skipping the browser tests")
	return ""
}

// Options are the settings of a browser.
type Options struct {
	// Width and Height are the window's size; 0 means 1440 by 900.
	Width, Height int
	// TrustCert, when not nil, is the one certificate the browser accepts
	// besides the system's roots: it is trusted by its public key
	// (--ignore-certificate-errors-spki-list), which is how a test trusts
	// the loopback server's self-signed certificate without turning off
	// certificate checks for everything else.
	TrustCert *x509.Certificate
	// Timeout bounds the whole browser session; 0 means two minutes.
	Timeout time.Duration
	// HostResolverRules, when not empty, is Chromium's
	// --host-resolver-rules, such as "MAP example.com 127.0.0.1": a test
	// serves a second site (another registrable domain, so cross-site for
	// cookies) from loopback.
	HostResolverRules string
}

// New starts a headless Chromium with a fresh profile in tb.TempDir() and
// returns a chromedp context for its first tab. tb.Cleanup stops it.
func New(tb testing.TB, o Options) context.Context {
	tb.Helper()
	if o.Width == 0 {
		o.Width, o.Height = 1440, 900
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium(tb)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(o.Width, o.Height),
	}
	if o.TrustCert != nil {
		sum := sha256.Sum256(o.TrustCert.RawSubjectPublicKeyInfo)
		opts = append(opts, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(sum[:])))
	}
	if o.HostResolverRules != "" {
		opts = append(opts, chromedp.Flag("host-resolver-rules", o.HostResolverRules))
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), o.Timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	tb.Cleanup(func() { cancelBrowser(); cancelAlloc(); cancelTimeout() })
	if err := chromedp.Do(bctx); err != nil {
		tb.Fatalf("browsertest: start Chromium: %v", err)
	}
	return bctx
}
