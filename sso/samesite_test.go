package sso_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse/internal/browsertest"
	"github.com/gatehouse-dev/gatehouse/session"
)

// TestTrapSameSiteStrictLoginCallbackLandsOnOwnPage is named after the
// SameSite=Strict trap: the provider's redirect back to the callback is a
// cross-site navigation, so a Strict cookie is not sent on it, nor on a
// 302 that continues it. In Chromium, with the provider on another site:
// the callback arrives cross-site with the Lax login cookie (so the state
// check works); it answers with a page of its own, whose same-origin
// navigation to return_to carries the Strict session cookie, and the
// person is signed in there. A cross-site 302 to the same page, the way a
// callback that redirected would go, arrives without the session cookie:
// that is what the landing page avoids.
func TestTrapSameSiteStrictLoginCallbackLandsOnOwnPage(t *testing.T) {
	a := newCrossSiteApp(t, sqliteStore(t))
	provider := strings.TrimSuffix(a.dev.Issuer(), "/dev-oidc")
	// A page on the provider's site whose link redirects to the app, for
	// the last step. (A navigation typed into the address bar would be
	// "none", not cross-site, and would carry the Strict cookie.)
	a.mux.HandleFunc("GET /cross-site-link", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!doctype html><title>elsewhere</title><a id="hop" href="/cross-site-hop">hop</a>`)
	})
	a.mux.HandleFunc("GET /cross-site-hop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, a.srv.URL+"/api/me", http.StatusFound)
	})
	ctx := browsertest.New(t, browsertest.Options{TrustCert: a.srv.Certificate(), HostResolverRules: "MAP " + providerSite + " 127.0.0.1"})
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(c, steps...); err != nil {
			t.Fatalf("browser: %v", err)
		}
	}
	text := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	do(chromedp.Navigate(a.srv.URL+"/auth/login?provider=dev&return_to=/api/me"),
		chromedp.WaitVisible(chromedp.CSS(`button[value="dev-author"]`)))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, provider+"/") {
		t.Fatalf("the sign-in page is at %s, not on the provider's site %s", loc, provider)
	}
	do(chromedp.Click(chromedp.CSS(`button[value="dev-author"]`)), chromedp.WaitVisible(chromedp.CSS(`pre, body`)))
	var landed string
	for range 50 { // the landing page's refresh, then /api/me
		landed, _ = chromedp.Run(ctx, chromedp.Location())
		if landed == a.srv.URL+"/api/me" && strings.Contains(text(), "author@example.com") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if body := text(); landed != a.srv.URL+"/api/me" || !strings.Contains(body, `"auth_method":"session"`) {
		t.Fatalf("after sign-in the browser is at %s:\n%s", landed, body)
	}

	callbacks := a.requests("/auth/callback")
	if len(callbacks) != 1 {
		t.Fatalf("callback requests: %+v", callbacks)
	}
	cb := callbacks[0]
	if cb.fetchSite != "cross-site" {
		t.Errorf("the callback arrived with Sec-Fetch-Site %q: the provider is not on another site, so the test shows nothing", cb.fetchSite)
	}
	if !slices.ContainsFunc(cb.cookies, func(n string) bool { return strings.HasPrefix(n, "__Host-gatehouse-login-") }) {
		t.Errorf("the cross-site callback did not carry the login cookie: %q", cb.cookies)
	}
	if slices.Contains(cb.cookies, session.CookieName) {
		t.Errorf("the callback carried a session cookie before sign-in: %q", cb.cookies)
	}
	first := a.requests("/api/me")
	if len(first) != 1 || first[0].fetchSite != "same-origin" || !slices.Contains(first[0].cookies, session.CookieName) {
		t.Errorf("the first page after sign-in: %+v, want one same-origin request with the session cookie", first)
	}

	cookies, err := browsertest.Cookies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var sess *network.Cookie
	for _, c := range cookies {
		if strings.HasPrefix(c.Name, "__Host-gatehouse-login-") {
			t.Errorf("the login cookie outlived the callback: %+v", c)
		}
		if c.Name == session.CookieName {
			sess = c
		}
	}
	if sess == nil || sess.SameSite != network.CookieSameSiteStrict || !sess.HTTPOnly || !sess.Secure || sess.Path != "/" {
		t.Fatalf("the session cookie in the browser: %+v", sess)
	}

	// The trap itself: a cross-site navigation redirected to the app (as a
	// callback answering 302 would be) does not carry the Strict cookie.
	do(chromedp.Navigate(provider+"/cross-site-link"), chromedp.Click(chromedp.ID("hop")))
	var hop []seen
	for range 50 {
		if hop = a.requests("/api/me"); len(hop) > 1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if last := hop[len(hop)-1]; len(hop) != 2 || last.fetchSite != "cross-site" || slices.Contains(last.cookies, session.CookieName) {
		t.Errorf("a cross-site 302 to /api/me: %+v, want it to arrive cross-site without the session cookie", hop)
	}
	var body string
	for range 50 {
		if body = text(); strings.Contains(body, "unauthenticated") || strings.Contains(body, "author@example.com") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(body, "unauthenticated") {
		t.Errorf("a cross-site 302 to /api/me: the page says\n%s", body)
	}
}
