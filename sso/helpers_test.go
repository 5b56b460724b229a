package sso_test

import (
	"context"
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
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/internal/devoidc"
	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
	"github.com/gatehouse-dev/gatehouse/session"
	"github.com/gatehouse-dev/gatehouse/sqlite"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// backends are the stores every end-to-end test runs on.
var backends = map[string]func(tb testing.TB) gatehouse.Store{
	"sqlite": func(tb testing.TB) gatehouse.Store {
		s, err := sqlite.Open(context.Background(), tb.TempDir()+"/gatehouse.db", sqlite.Config{CreateIfMissing: true})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(context.Background()); err != nil {
			tb.Fatal(err)
		}
		return s
	},
	"postgres": func(tb testing.TB) gatehouse.Store { return pgtest.Open(tb) },
}

// eachBackend runs fn as a subtest on every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, open func(testing.TB) gatehouse.Store)) {
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) { fn(t, backends[name]) })
	}
}

// clock is real time plus an offset the test can move forward.
type clock struct{ off atomic.Int64 }

func (c *clock) Now() time.Time                 { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *clock) Add(d time.Duration)            { c.off.Add(int64(d)) }
func sqliteStore(tb testing.TB) gatehouse.Store { return backends["sqlite"](tb) }

// app is Gatehouse's relying party over HTTPS on loopback: the sso
// handlers and GET /api/me behind the guard, and the development provider
// at /dev-oidc/ on the same server, registered as "dev".
type app struct {
	t     testing.TB
	store gatehouse.Store
	srv   *httptest.Server
	mux   *http.ServeMux // a test may add routes
	dev   *devoidc.Provider
	cfg   sso.Config
	svc   atomic.Pointer[sso.Service] // swapped by restart
	clock *clock

	mu   sync.Mutex
	seen []seen // the requests the server received, oldest first
}

// seen is what a browser sent with one request.
type seen struct {
	path, fetchSite string
	cookies         []string // names
}

// devProvider is the configuration of the in-process provider: its groups
// decide the role.
func devProvider(issuer string) sso.ProviderConfig {
	return sso.ProviderConfig{Name: "dev", Issuer: issuer, ClientID: "gatehouse", ClientSecret: "dev-secret",
		Scopes: []string{"groups"}, RoleClaim: "groups",
		Roles: map[string]gatehouse.Role{"authors": gatehouse.RoleAuthor, "editors": gatehouse.RoleEditor}}
}

// newApp starts the app on st. extra providers are added to dev; adjust,
// when not nil, edits the configuration before sso.New.
func newApp(t testing.TB, st gatehouse.Store, extra []sso.ProviderConfig, adjust func(*sso.Config)) *app {
	t.Helper()
	return startApp(t, st, false, extra, adjust)
}

// providerSite is the host of the provider in newCrossSiteApp: a name
// httptest's certificate holds, and another site than 127.0.0.1.
const providerSite = "example.com"

// newCrossSiteApp starts the app on st with the development provider on
// another site: at https://example.com:PORT/dev-oidc, the same server
// under another name, which the relying party and a browser started with
// browsertest.Options.HostResolverRules "MAP example.com 127.0.0.1" reach
// on loopback. The provider's redirect back to the app is then a
// cross-site navigation, as with a real provider.
func newCrossSiteApp(t testing.TB, st gatehouse.Store) *app {
	t.Helper()
	return startApp(t, st, true, nil, nil)
}

func startApp(t testing.TB, st gatehouse.Store, crossSite bool, extra []sso.ProviderConfig, adjust func(*sso.Config)) *app {
	t.Helper()
	a := &app{t: t, store: st, mux: http.NewServeMux(), clock: &clock{}}
	mux := a.mux
	srv := httptest.NewTLSServer(http.HandlerFunc(a.record))
	t.Cleanup(srv.Close)
	a.srv = srv
	client, issuer := srv.Client(), srv.URL+"/dev-oidc"
	if crossSite {
		tr := client.Transport.(*http.Transport).Clone()
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, port, _ := net.SplitHostPort(addr); host == providerSite {
				addr = net.JoinHostPort("127.0.0.1", port)
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
		client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
		_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
		issuer = "https://" + net.JoinHostPort(providerSite, port) + "/dev-oidc"
	}
	dev, err := devoidc.New(devoidc.Config{
		Issuer: issuer, HTTPClient: client,
		Clients: []devoidc.Client{{ID: "gatehouse", Secret: "dev-secret", RedirectURIs: []string{srv.URL + "/auth/callback"},
			PostLogoutRedirectURIs: []string{srv.URL + "/auth/signed-out"},
			BackchannelLogoutURI:   srv.URL + "/auth/backchannel-logout/dev"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a.dev = dev
	mgr, err := session.New(session.Config{Store: st, Now: a.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sso.Config{Providers: append([]sso.ProviderConfig{devProvider(dev.Issuer())}, extra...),
		Sessions: mgr, Store: st, PublicURL: srv.URL, HTTPClient: client, Now: a.clock.Now}
	if adjust != nil {
		adjust(&cfg)
	}
	a.cfg = cfg
	a.restart()
	g, err := guard.New(guard.Config{Store: st, Sessions: mgr})
	if err != nil {
		t.Fatal(err)
	}
	api := http.NewServeMux()
	api.HandleFunc("GET /auth/login", func(w http.ResponseWriter, r *http.Request) { a.svc.Load().Login(w, r) })
	api.HandleFunc("GET /auth/callback", func(w http.ResponseWriter, r *http.Request) { a.svc.Load().Callback(w, r) })
	api.HandleFunc("POST /auth/logout", func(w http.ResponseWriter, r *http.Request) { a.svc.Load().Logout(w, r) })
	api.HandleFunc("GET /auth/signed-out", func(w http.ResponseWriter, r *http.Request) { a.svc.Load().SignedOut(w, r) })
	api.HandleFunc("POST /auth/backchannel-logout/{provider}", func(w http.ResponseWriter, r *http.Request) {
		a.svc.Load().BackchannelLogout(w, r)
	})
	api.Handle("GET /api/me", g.RequireAuth(http.HandlerFunc(me)))
	mux.Handle("/dev-oidc/", dev)
	mux.Handle("/", g.Authenticate(api))
	return a
}

// record notes what the browser sent and serves the request.
func (a *app) record(w http.ResponseWriter, r *http.Request) {
	sn := seen{path: r.URL.Path, fetchSite: r.Header.Get("Sec-Fetch-Site")}
	for _, c := range r.Cookies() {
		sn.cookies = append(sn.cookies, c.Name)
	}
	a.mu.Lock()
	a.seen = append(a.seen, sn)
	a.mu.Unlock()
	a.mux.ServeHTTP(w, r)
}

// requests returns the requests the server received for path, oldest
// first.
func (a *app) requests(path string) []seen {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []seen
	for _, sn := range a.seen {
		if sn.path == path {
			out = append(out, sn)
		}
	}
	return out
}

// restart replaces the relying party with a fresh sso.Service of the same
// configuration, over the same store and sessions: what a restart, or
// another replica behind the same address, looks like. It has discovered
// no provider yet.
func (a *app) restart() {
	a.t.Helper()
	svc, err := sso.New(a.cfg)
	if err != nil {
		a.t.Fatal(err)
	}
	a.svc.Store(svc)
}

// meView is what GET /api/me answers in these tests.
type meView struct {
	UserID int64  `json:"user_id"`
	Email  string `json:"email"`
	Role   string `json:"role"`
	Method string `json:"auth_method"`
}

func me(w http.ResponseWriter, r *http.Request) {
	p, _ := gatehouse.PrincipalFrom(r.Context())
	_ = json.NewEncoder(w).Encode(meView{p.UserID, p.Email, string(p.Role), string(p.Method)})
}

// browser is a cookie-keeping client that records every Set-Cookie it
// receives, by request.
type browser struct {
	*http.Client
	mu  sync.Mutex
	log []string // "METHOD path: Set-Cookie value"
}

func (a *app) browser() *browser {
	b := &browser{}
	jar, _ := cookiejar.New(nil)
	base := a.srv.Client().Transport
	b.Client = &http.Client{Jar: jar, Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && r.Header.Get("Origin") == "" {
			// Browsers say where a POST comes from; the session manager
			// refuses a cookie-carrying POST that does not.
			r = r.Clone(r.Context())
			r.Header.Set("Origin", r.URL.Scheme+"://"+r.URL.Host)
		}
		resp, err := base.RoundTrip(r)
		if err == nil {
			b.mu.Lock()
			for _, c := range resp.Header.Values("Set-Cookie") {
				b.log = append(b.log, r.Method+" "+r.URL.Path+": "+c)
			}
			b.mu.Unlock()
		}
		return resp, err
	})}
	return b
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// cookies returns the Set-Cookie log and empties it.
func (b *browser) cookies() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.log
	b.log = nil
	return out
}

// page is a fetched page.
type page struct {
	status int
	url    *url.URL
	body   string
}

func (b *browser) get(t testing.TB, u string) page {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func (b *browser) post(t testing.TB, u string, form url.Values) page {
	t.Helper()
	resp, err := b.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func read(t testing.TB, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{resp.StatusCode, resp.Request.URL, string(body)}
}

var signInForm = regexp.MustCompile(`name="id" value="([^"]+)"`)

// startLogin begins a sign-in with the dev provider and returns its
// sign-in page's request id.
func (a *app) startLogin(t testing.TB, b *browser, returnTo string) string {
	t.Helper()
	p := b.get(t, a.srv.URL+"/auth/login?provider=dev&return_to="+url.QueryEscape(returnTo))
	m := signInForm.FindStringSubmatch(p.body)
	if p.status != http.StatusOK || m == nil {
		t.Fatalf("login did not reach the sign-in page: %d %s\n%s", p.status, p.url, p.body)
	}
	return m[1]
}

// pick signs in as the person on the sign-in page and returns the page
// the browser ends on.
func (a *app) pick(t testing.TB, b *browser, id, subject string) page {
	t.Helper()
	return b.post(t, a.dev.Issuer()+"/login", url.Values{"id": {id}, "subject": {subject}})
}

// login signs in as subject through the dev provider and checks that it
// lands on the landing page.
func (a *app) login(t testing.TB, b *browser, subject string) page {
	t.Helper()
	p := a.pick(t, b, a.startLogin(t, b, "/posts"), subject)
	if p.status != http.StatusOK || p.url.Path != "/auth/callback" || !strings.Contains(p.body, "Signed in") {
		t.Fatalf("sign-in as %s ended on %d %s:\n%s", subject, p.status, p.url, p.body)
	}
	return p
}

// me returns GET /api/me's status and body.
func (a *app) me(t testing.TB, b *browser) (int, meView) {
	t.Helper()
	p := b.get(t, a.srv.URL+"/api/me")
	var v meView
	if p.status == http.StatusOK {
		if err := json.Unmarshal([]byte(p.body), &v); err != nil {
			t.Fatal(err)
		}
	}
	return p.status, v
}

// failures returns the reasons of the login.fail events, oldest first.
func (a *app) failures(t testing.TB) []string {
	t.Helper()
	evs, err := a.store.AuditEvents(context.Background(), gatehouse.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Action == gatehouse.ActionLoginFail {
			out = append(out, evs[i].Reason)
		}
	}
	return out
}
