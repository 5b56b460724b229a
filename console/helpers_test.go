package console_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/console"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/internal/devoidc"
	"github.com/gatehouse-dev/gatehouse/keyring"
	"github.com/gatehouse-dev/gatehouse/policy"
	"github.com/gatehouse-dev/gatehouse/server"
	"github.com/gatehouse-dev/gatehouse/session"
	"github.com/gatehouse-dev/gatehouse/sqlite"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// harness is the whole server with its console, over TLS on loopback, on
// a real SQLite file.
type harness struct {
	t        testing.TB
	url      string
	server   *httptest.Server
	client   *http.Client
	store    *sqlite.Store
	keys     *keyring.Service
	posts    *blog.Service
	sessions *session.Manager
	guard    *guard.Guard
}

// harnessOption changes what newHarness builds.
type harnessOption int

// The harness options.
const (
	// withSSO adds sign-in through the development OpenID provider, mounted
	// at /dev-oidc/ on the same server, as "gatehouse serve --dev" does.
	withSSO harnessOption = iota + 1
	// underPrefix serves the console as "gatehouse proxy" does: under
	// prefix, without the posts pages, through server.NewReserved.
	underPrefix
)

// prefix is the BasePath of an underPrefix harness.
const prefix = "/.gatehouse"

func newHarness(t testing.TB, opts ...harnessOption) *harness {
	t.Helper()
	// The server starts first, so that the provider and the relying party
	// can be told its URL; the handler is set once everything is built.
	var root atomic.Pointer[http.Handler]
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*root.Load()).ServeHTTP(w, r)
	}))
	ts.StartTLS()
	t.Cleanup(ts.Close)
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "g.db"), sqlite.Config{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, store: st}
	h.sessions, err = session.New(session.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	g, err := guard.New(guard.Config{Store: st, Sessions: h.sessions})
	if err != nil {
		t.Fatal(err)
	}
	h.guard = g
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { g.Run(ctx) })
	wg.Go(func() { h.sessions.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	h.keys, err = keyring.New(keyring.Config{Store: st, Invalidator: g})
	if err != nil {
		t.Fatal(err)
	}
	authz, err := policy.New(policy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	h.posts, err = blog.NewService(blog.Config{Store: st, Authorizer: authz})
	if err != nil {
		t.Fatal(err)
	}
	providers := []console.Provider{{Name: "dev", DisplayName: "Development provider", LoginURL: "/auth/login?provider=dev"}}
	var signIn *sso.Service
	var dev http.Handler
	if slices.Contains(opts, withSSO) {
		signIn, dev = newSSO(t, ts, st, h.sessions)
		providers = console.ProvidersFor(signIn.Providers())
	}
	cfg := console.Config{
		Keys: h.keys, Posts: h.posts, Policy: authz, Audit: st, Users: st, Sessions: h.sessions, Providers: providers,
	}
	if slices.Contains(opts, underPrefix) {
		cfg.Posts, cfg.Policy, cfg.BasePath, cfg.SamplePath = nil, nil, prefix, prefix+"/me"
	}
	c, err := console.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler
	if cfg.BasePath != "" {
		handler, err = server.NewReserved(server.ReservedConfig{Guard: g, Console: c, SSO: signIn})
	} else {
		handler, err = server.New(server.Config{Store: st, Guard: g, Keys: h.keys, Blog: blog.NewAPI(h.posts, nil), SSO: signIn, Console: c})
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := handler
	if dev != nil {
		mux := http.NewServeMux()
		mux.Handle("/dev-oidc/", dev)
		mux.Handle("/", srv)
		handler = mux
	}
	root.Store(&handler)
	h.server, h.url = ts, ts.URL
	h.client = h.server.Client()
	h.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return h
}

// user creates a person with role r.
func (h *harness) user(r gatehouse.Role) *gatehouse.User {
	h.t.Helper()
	name := string(r) + "-" + strings.ToLower(rand.Text()[:6])
	u := &gatehouse.User{Issuer: "https://idp.test", Subject: name, Kind: gatehouse.KindPerson,
		Email: name + "@example.com", Name: name, Role: r}
	if err := h.store.CreateUser(h.t.Context(), u); err != nil {
		h.t.Fatal(err)
	}
	return u
}

// key creates a key for u and returns its secret.
func (h *harness) key(u *gatehouse.User, label string, scopes ...string) (string, *gatehouse.APIKey) {
	h.t.Helper()
	c, err := h.keys.Create(h.t.Context(), keyring.Actor{UserID: u.ID}, u.ID, keyring.CreateRequest{Label: label, Scopes: scopes})
	if err != nil {
		h.t.Fatal(err)
	}
	return c.Secret, c.Key
}

// reply is a response, read whole.
type reply struct {
	status  int
	header  http.Header
	body    string
	cookies []*http.Cookie
}

// browser is one signed-in browser: the session cookie it sends.
type browser struct {
	h      *harness
	cookie *http.Cookie // nil: signed out
	ua     string
}

// signIn starts a session for u and returns a browser holding its cookie.
func (h *harness) signIn(u *gatehouse.User) *browser {
	h.t.Helper()
	b := &browser{h: h, ua: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"}
	b.cookie = h.startSession(u, b.ua)
	return b
}

// startSession signs u in as the SSO callback would, from a browser with
// the User-Agent ua, and returns the session cookie it set.
func (h *harness) startSession(u *gatehouse.User, ua string) *http.Cookie {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/auth/callback", nil)
	req.RemoteAddr, req.Header["User-Agent"] = "127.0.0.1:40000", []string{ua}
	w := httptest.NewRecorder()
	if _, err := h.sessions.Start(h.t.Context(), w, req, u, session.Meta{Provider: "dev", Issuer: "https://idp.test"}); err != nil {
		h.t.Fatal(err)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == session.CookieName {
			return &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	h.t.Fatal("Start set no session cookie")
	return nil
}

// anonymous returns a browser without a session.
func (h *harness) anonymous() *browser { return &browser{h: h} }

// get fetches path as a same-origin navigation would.
func (b *browser) get(path string) reply {
	b.h.t.Helper()
	return b.do(http.MethodGet, path, nil, "Sec-Fetch-Site", "none")
}

// post submits a form as a same-origin page would.
func (b *browser) post(path string, form url.Values) reply {
	b.h.t.Helper()
	return b.do(http.MethodPost, path, form, "Sec-Fetch-Site", "same-origin", "Origin", b.h.url)
}

// do sends a request with the browser's cookie; hdr is pairs of header
// names and values.
func (b *browser) do(method, path string, form url.Values, hdr ...string) reply {
	b.h.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.h.url+path, body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	if b.ua != "" {
		req.Header.Set("User-Agent", b.ua)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.h.send(req)
}

func (h *harness) send(req *http.Request) reply {
	h.t.Helper()
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(data), cookies: resp.Cookies()}
}

// withKey calls the API with an API key.
func (h *harness) withKey(method, path, key string) reply {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "apikey "+key)
	return h.send(req)
}

// secretRE matches a key's full text.
var secretRE = regexp.MustCompile(`gatehouse_[a-z2-7]{16}_[a-z2-7]{59}`)

// secrets returns the key texts in a page.
func secrets(body string) []string { return secretRE.FindAllString(body, -1) }

// mustStatus fails unless r has the status.
func (r reply) mustStatus(t *testing.T, want int) reply {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d; body:\n%s", r.status, want, r.body)
	}
	return r
}

func sha(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// versionOf is what the roll form sends for k (see console.Roll).
func versionOf(k *gatehouse.APIKey) string {
	t := k.Created
	if !k.Rolled.IsZero() {
		t = k.Rolled
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// assetURL returns the versioned URL of an asset that page links to.
func assetURL(t testing.TB, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`"(/assets/` + regexp.QuoteMeta(name) + `\?v=[0-9a-f]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("page does not link %s", name)
	}
	return m[1]
}

func keyringActor(u *gatehouse.User) keyring.Actor { return keyring.Actor{UserID: u.ID} }

// newSSO returns the relying party and the development provider for the
// server ts, configured as "gatehouse serve --dev" configures them.
func newSSO(t testing.TB, ts *httptest.Server, st *sqlite.Store, mgr *session.Manager) (*sso.Service, http.Handler) {
	t.Helper()
	public, secret := ts.URL, rand.Text()
	dev, err := devoidc.New(devoidc.Config{
		Issuer: public + "/dev-oidc", HTTPClient: ts.Client(),
		Clients: []devoidc.Client{{ID: "gatehouse", Secret: secret, RedirectURIs: []string{public + "/auth/callback"},
			PostLogoutRedirectURIs: []string{public + "/auth/signed-out"}, BackchannelLogoutURI: public + "/auth/backchannel-logout/dev"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := sso.New(sso.Config{
		Providers: []sso.ProviderConfig{{Name: "dev", Issuer: dev.Issuer(), ClientID: "gatehouse", ClientSecret: secret,
			Scopes: []string{"groups"}, RoleClaim: "groups",
			Roles: map[string]gatehouse.Role{"authors": gatehouse.RoleAuthor, "editors": gatehouse.RoleEditor}}},
		Sessions: mgr, Store: st, PublicURL: public, HTTPClient: ts.Client(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc, dev
}
