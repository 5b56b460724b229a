package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse/console"
)

// recorder is an upstream that records what it received.
type recorder struct {
	mu  sync.Mutex
	got []*http.Request
}

func (u *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.got = append(u.got, r.Clone(r.Context()))
	u.mu.Unlock()
	io.WriteString(w, "upstream "+r.URL.Path)
}

// take returns what the upstream received since the last call.
func (u *recorder) take() []*http.Request {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.got
	u.got = nil
	return out
}

// gatewayBrowser is a browser in front of "gatehouse proxy --dev": it keeps
// cookies, follows redirects, and says where its POSTs come from, as
// browsers do.
type gatewayBrowser struct {
	t      *testing.T
	origin string // https://localhost:PORT
	client *http.Client
}

func newGatewayBrowser(t *testing.T, s *served, origin string) *gatewayBrowser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	base := s.client.Transport
	c := &http.Client{Jar: jar, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && r.Header.Get("Origin") == "" {
			r = r.Clone(r.Context())
			r.Header.Set("Origin", origin)
		}
		return base.RoundTrip(r)
	})}
	return &gatewayBrowser{t: t, origin: origin, client: c}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// visited is a response read whole, with the URL the browser ended on.
type visited struct {
	status int
	url    *url.URL
	header http.Header
	body   string
}

func (b *gatewayBrowser) send(req *http.Request) visited {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return visited{resp.StatusCode, resp.Request.URL, resp.Header, string(body)}
}

func (b *gatewayBrowser) get(path string) visited {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.origin+path, nil)
	return b.send(req)
}

func (b *gatewayBrowser) post(path string, form url.Values, hdr ...string) visited {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.origin+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.send(req)
}

var (
	devSignInID = regexp.MustCompile(`name="id" value="([^"]+)"`)
	loginLink   = regexp.MustCompile(`href="(/auth/login\?[^"]+)"`)
	pageURLs    = regexp.MustCompile(`(?:href|action|src)="([^"]*)"`)
	keySecret   = regexp.MustCompile(`gatehouse_[a-z2-7]{16}_[a-z2-7]{59}`)
)

// signInThroughGateway signs in as the development provider's author,
// starting from the console's sign-in page, and checks that the browser
// lands back on the console.
func (b *gatewayBrowser) signIn() {
	b.t.Helper()
	home := b.get(consoleBase + "/keys") // anonymous: sent to sign in
	if home.status != http.StatusOK || home.url.Path != consoleBase+"/" {
		b.t.Fatalf("anonymous keys page ended on %d %s", home.status, home.url)
	}
	m := loginLink.FindStringSubmatch(home.body)
	if m == nil {
		b.t.Fatalf("no sign-in button on the console's home page:\n%s", home.body)
	}
	signInPage := b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	id := devSignInID.FindStringSubmatch(signInPage.body)
	if id == nil {
		b.t.Fatalf("login did not reach the provider's sign-in page: %d %s\n%s", signInPage.status, signInPage.url, signInPage.body)
	}
	landing := b.post("/dev-oidc/login", url.Values{"id": {id[1]}, "subject": {"dev-author"}})
	if landing.status != http.StatusOK || landing.url.Path != "/auth/callback" ||
		!strings.Contains(landing.body, `url='`+consoleBase+`/'`) {
		b.t.Fatalf("sign-in ended on %d %s, not on a landing page back to the console:\n%s", landing.status, landing.url, landing.body)
	}
}

// checkLinks fails unless every link, form and asset of a console page
// stays under the console's prefix (or is sign-in, or on the page).
func checkLinks(t *testing.T, name string, v visited) {
	t.Helper()
	links := pageURLs.FindAllStringSubmatch(v.body, -1)
	if len(links) == 0 {
		t.Errorf("%s: no links", name)
	}
	for _, m := range links {
		u := m[1]
		if !strings.HasPrefix(u, consoleBase+"/") && !strings.HasPrefix(u, "/auth/") && !strings.HasPrefix(u, "#") {
			t.Errorf("%s links to %q, outside %s/", name, u, consoleBase)
		}
	}
}

// freePort returns a loopback port that was free a moment ago: sign-in
// needs the public URL, so the port is fixed before the proxy starts.
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// TestProxyConsoleAndSessions signs in through "gatehouse proxy --dev",
// creates a key in the console the gateway serves under /.gatehouse/,
// calls the upstream with the session cookie and with the key, and signs
// out.
func TestProxyConsoleAndSessions(t *testing.T) {
	up := &recorder{}
	upstream := httptest.NewServer(up)
	t.Cleanup(upstream.Close)
	getenv, _ := testEnv(t, nil)
	port := freePort(t)
	origin := "https://localhost:" + port
	s := startProxy(t, getenv, upstream.URL, "--addr", "127.0.0.1:"+port, "--dev", "--public-url", origin)
	b := newGatewayBrowser(t, s, origin)
	b.signIn()

	home := b.get(consoleBase + "/")
	if home.status != 200 || !strings.Contains(home.body, "Welcome, Ada Author") || strings.Contains(home.body, "Posts") {
		t.Fatalf("console home: %d\n%s", home.status, home.body)
	}
	if csp := home.header.Get("Content-Security-Policy"); csp != console.PageCSP {
		t.Errorf("console CSP %q: the gateway's replaced the console's", csp)
	}
	checkLinks(t, "home", home)
	keys := b.get(consoleBase + "/keys")
	if keys.status != 200 {
		t.Fatalf("keys page: %d\n%s", keys.status, keys.body)
	}
	checkLinks(t, "keys", keys)
	created := b.post(consoleBase+"/keys", url.Values{"label": {"deploy"}, "scope": {"read"}, "expires": {"never"}})
	secret := keySecret.FindString(created.body)
	if created.status != http.StatusCreated || secret == "" {
		t.Fatalf("create key: %d\n%s", created.status, created.body)
	}
	checkLinks(t, "created", created)
	if !strings.Contains(created.body, origin+consoleBase+"/me") {
		t.Errorf("the samples do not call %s/me:\n%s", consoleBase, created.body)
	}
	css := pageURLs.FindStringSubmatch(created.body[strings.Index(created.body, "stylesheet"):])[1]
	if a := b.get(css); a.status != 200 || !strings.Contains(a.header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet %s: %d %s", css, a.status, a.header.Get("Content-Type"))
	}
	up.take()

	t.Run("upstream with the session cookie", func(t *testing.T) {
		v := b.get("/api/x")
		got := up.take()
		if v.status != 200 || len(got) != 1 {
			t.Fatalf("status %d, forwarded %d", v.status, len(got))
		}
		h := got[0].Header
		if h.Get("X-Gatehouse-Auth-Method") != "session" || h.Get("X-Gatehouse-Email") != "author@example.com" {
			t.Errorf("identity: %v", h)
		}
		if c := h.Values("Cookie"); len(c) != 0 {
			t.Errorf("cookies reached the upstream: %q", c)
		}
	})
	t.Run("cross-site POST with the session cookie", func(t *testing.T) {
		v := b.post("/api/x", url.Values{}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if got := up.take(); v.status != http.StatusForbidden || len(got) != 0 {
			t.Errorf("status %d, forwarded %d", v.status, len(got))
		}
	})
	t.Run("upstream and /me with the key", func(t *testing.T) {
		withKey := func(path string) (int, string) {
			req, _ := http.NewRequest(http.MethodGet, origin+path, nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		code, _ := withKey("/api/x")
		got := up.take()
		if code != 200 || len(got) != 1 || got[0].Header.Get("X-Gatehouse-Auth-Method") != "apikey" || got[0].Header.Get("Authorization") != "" {
			t.Fatalf("status %d, forwarded %v", code, got)
		}
		code, body := withKey(consoleBase + "/me")
		var me struct {
			Email  string `json:"email"`
			Method string `json:"auth_method"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &me) != nil || me.Email != "author@example.com" || me.Method != "apikey" {
			t.Errorf("%s/me with the key: %d %s", consoleBase, code, body)
		}
		if code, _ := withKey(consoleBase + "/keys"); code != http.StatusForbidden {
			t.Errorf("console page with a key: %d, want 403", code)
		}
	})

	out := b.post("/auth/logout", url.Values{})
	if out.status != 200 || out.url.Path != "/auth/signed-out" {
		t.Fatalf("sign out ended on %d %s\n%s", out.status, out.url, out.body)
	}
	if v := b.get("/api/x"); v.status != http.StatusUnauthorized || len(up.take()) != 0 {
		t.Errorf("after sign-out, /api/x: %d", v.status)
	}
	if v := b.get(consoleBase + "/keys"); v.url.Path != consoleBase+"/" || !strings.Contains(v.body, "Sign in") {
		t.Errorf("after sign-out, the keys page ended on %s", v.url)
	}
}
