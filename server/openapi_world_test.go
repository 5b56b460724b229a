package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
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

// world is the whole server the examples run against: the API, sessions,
// the console and, when an example needs it, sign-in through the
// development OpenID provider, on a real SQLite file over TLS.
type world struct {
	t        *testing.T
	h        *harness
	sessions *session.Manager
	dev      *devoidc.Provider // nil without sign-in
	tokens   chan string       // logout tokens the provider sent
	users    map[string]*gatehouse.User
	vars     map[string]string // fixture name -> value
	made     map[int]bool      // the fixture groups made
}

// fixtureUsers are the people of the examples, with their roles.
var fixtureUsers = map[string]gatehouse.Role{"alice": "author", "bob": "author", "erin": "editor", "rita": "reader"}

// devSubject is the development provider's person the sign-in fixtures use.
const devSubject = "dev-author"

// newWorld starts a server; withSSO adds the development provider.
func newWorld(t *testing.T, withSSO bool) *world {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "g.db"), sqlite.Config{CreateIfMissing: true})
	check(t, err)
	t.Cleanup(func() { st.Close() })
	_, err = st.Migrate(ctx)
	check(t, err)
	mgr, err := session.New(session.Config{Store: st})
	check(t, err)
	g, err := guard.New(guard.Config{Store: st, Sessions: mgr})
	check(t, err)
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { g.Run(rctx) })
	wg.Go(func() { mgr.Run(rctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	keys, err := keyring.New(keyring.Config{Store: st, Invalidator: g})
	check(t, err)
	authz, err := policy.New(policy.Config{})
	check(t, err)
	posts, err := blog.NewService(blog.Config{Store: st, Authorizer: authz})
	check(t, err)
	c, err := console.New(console.Config{Keys: keys, Posts: posts, Policy: authz, Audit: st, Users: st, Sessions: mgr,
		Providers: []console.Provider{{Name: "dev", DisplayName: "Development provider", LoginURL: "/auth/login?provider=dev"}}})
	check(t, err)

	ts := httptest.NewUnstartedServer(nil)
	base := "https://" + ts.Listener.Addr().String()
	w := &world{t: t, sessions: mgr, users: map[string]*gatehouse.User{}, vars: map[string]string{}, made: map[int]bool{}}
	cfg := server.Config{Store: st, Guard: g, Keys: keys, Blog: blog.NewAPI(posts, nil), Console: c, Version: "test"}
	if withSSO {
		cfg.SSO = w.startProvider(t, st, mgr, base)
	}
	srv, err := server.New(cfg)
	check(t, err)
	ts.Config.Handler = srv
	ts.StartTLS()
	t.Cleanup(ts.Close)
	client := ts.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	w.h = &harness{t: t, url: ts.URL, client: client, store: st, keys: keys, guard: g}
	for name, role := range fixtureUsers {
		u := &gatehouse.User{Issuer: "https://idp.test", Subject: name, Kind: gatehouse.KindPerson,
			Email: name + "@example.com", Name: name, Role: role}
		check(t, st.CreateUser(ctx, u))
		w.users[name] = u
	}
	return w
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// startProvider runs the development provider on a server of its own,
// which also receives the logout tokens it sends, and returns the relying
// party for the Gatehouse server at base.
func (w *world) startProvider(t *testing.T, st *sqlite.Store, mgr *session.Manager, base string) *sso.Service {
	t.Helper()
	mux := http.NewServeMux()
	ps := httptest.NewTLSServer(mux)
	t.Cleanup(ps.Close)
	w.tokens = make(chan string, 4)
	mux.HandleFunc("POST /backchannel", func(rw http.ResponseWriter, r *http.Request) {
		w.tokens <- r.PostFormValue("logout_token")
	})
	dev, err := devoidc.New(devoidc.Config{Issuer: ps.URL + "/dev-oidc", HTTPClient: ps.Client(),
		Clients: []devoidc.Client{{ID: "gatehouse", Secret: "dev-secret", RedirectURIs: []string{base + "/auth/callback"},
			PostLogoutRedirectURIs: []string{base + "/auth/signed-out"}, BackchannelLogoutURI: ps.URL + "/backchannel"}}})
	check(t, err)
	mux.Handle("/dev-oidc/", dev)
	w.dev = dev
	// httptest servers share one certificate, so the provider's client
	// trusts Gatehouse's server too.
	svc, err := sso.New(sso.Config{Sessions: mgr, Store: st, PublicURL: base, HTTPClient: ps.Client(),
		Providers: []sso.ProviderConfig{{Name: "dev", Issuer: dev.Issuer(), ClientID: "gatehouse", ClientSecret: "dev-secret",
			Scopes: []string{"groups"}, RoleClaim: "groups", Roles: map[string]gatehouse.Role{"authors": gatehouse.RoleAuthor}}}})
	check(t, err)
	return svc
}

// fixtureGroups make the fixtures of x-gatehouse-example-fixtures, a few
// at a time; an example gets the groups whose fixtures it names.
func fixtureGroups() []struct {
	names []string
	make  func(w *world)
} {
	return []struct {
		names []string
		make  func(w *world)
	}{
		{[]string{"draft", "published", "bob_draft"}, (*world).posts},
		{[]string{"key", "key_version", "revoked_key", "bob_key"}, (*world).keys},
		{[]string{"other_session"}, (*world).otherSession},
		{[]string{"login_state", "login_code", "login_cookie"}, (*world).login},
		{[]string{"logout_token"}, (*world).logoutToken},
	}
}

// fixtures makes the groups any of whose fixtures text names, or all.
func (w *world) fixtures(text string, all bool) {
	for i, g := range fixtureGroups() {
		for _, n := range g.names {
			if !w.made[i] && (all || strings.Contains(text, "{"+n+"}")) {
				w.made[i] = true
				g.make(w)
			}
		}
	}
}

// rw returns an Authorization header with a read-write key of user name.
func (w *world) rw(name string) []string {
	secret, _ := w.h.key(w.users[name], "fixtures", "read", "write")
	return auth(secret)
}

// posts writes alice's draft and published post and bob's draft through
// the API.
func (w *world) posts() {
	t := w.t
	alice, bob := w.rw("alice"), w.rw("bob")
	create := func(who []string, title, body string) string {
		in, _ := json.Marshal(map[string]string{"title": title, "body": body})
		r := w.h.do("POST", "/api/posts", string(in), who...)
		var p struct{ ID int64 }
		r.json(t, &p)
		if r.status != 201 {
			t.Fatalf("fixture post %q: %d %s", title, r.status, r.body)
		}
		return strconv.FormatInt(p.ID, 10)
	}
	w.vars["draft"] = create(alice, "Draft notes", "Not *yet*.")
	w.vars["published"] = create(alice, "Hello, world", "The first post.")
	if r := w.h.do("POST", "/api/posts/"+w.vars["published"]+"/publish", "", w.rw("erin")...); r.status != 200 {
		t.Fatalf("publish fixture: %d %s", r.status, r.body)
	}
	w.vars["bob_draft"] = create(bob, "Bob's draft", "Mine.")
}

// keys makes alice's keys "deploy" and "old" (revoked) and bob's "bob-ci".
func (w *world) keys() {
	_, k := w.h.key(w.users["alice"], "deploy", "read")
	w.vars["key"], w.vars["key_version"] = k.ID, strconv.FormatInt(k.Created.UnixMilli(), 10)
	_, old := w.h.key(w.users["alice"], "old", "read")
	_, err := w.h.keys.Revoke(context.Background(), keyring.Actor{}, w.users["alice"].ID, old.ID)
	check(w.t, err)
	w.vars["revoked_key"] = old.ID
	_, b := w.h.key(w.users["bob"], "bob-ci", "read")
	w.vars["bob_key"] = b.ID
}

// startSession signs u in as the callback would and returns the session
// and its cookie.
func (w *world) startSession(u *gatehouse.User) (*gatehouse.Session, string) {
	req := httptest.NewRequest(http.MethodGet, "/auth/callback", nil)
	rec := httptest.NewRecorder()
	s, err := w.sessions.Start(context.Background(), rec, req, u, session.Meta{Provider: "dev", Issuer: "https://idp.test"})
	check(w.t, err)
	for _, c := range rec.Result().Cookies() {
		if c.Name == session.CookieName {
			return s, c.Name + "=" + c.Value
		}
	}
	w.t.Fatal("Start set no session cookie")
	return nil, ""
}

// otherSession starts a second session of alice's.
func (w *world) otherSession() {
	s, _ := w.startSession(w.users["alice"])
	w.vars["other_session"] = s.ID
}

var signInID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// login begins a sign-in with the development provider and signs in
// there, stopping before the browser is sent back to /auth/callback: the
// state and code of that redirect and the login cookie are the fixtures.
func (w *world) login() {
	t := w.t
	if w.dev == nil {
		t.Fatal("the sign-in fixtures need the world made with the provider")
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: w.h.client.Transport, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(r.URL.String(), w.h.url+"/auth/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	page := get(t, c, w.h.url+"/auth/login?provider=dev&return_to=/keys")
	m := signInID.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no sign-in page: %s", page)
	}
	resp, err := c.PostForm(w.dev.Issuer()+"/login", url.Values{"id": {m[1]}, "subject": {devSubject}})
	check(t, err)
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Path != "/auth/callback" {
		t.Fatalf("sign-in ended on %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	w.vars["login_state"], w.vars["login_code"] = back.Query().Get("state"), back.Query().Get("code")
	base, _ := url.Parse(w.h.url)
	for _, ck := range jar.Cookies(base) {
		if strings.HasPrefix(ck.Name, session.LoginCookiePrefix) {
			w.vars["login_cookie"] = ck.Name + "=" + ck.Value
		}
	}
	if w.vars["login_cookie"] == "" {
		t.Fatal("no login cookie")
	}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	check(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// logoutToken signs in at the provider, signs out there, and keeps the
// logout token it sends.
func (w *world) logoutToken() {
	w.fixtures("{login_state}", false)
	check(w.t, w.dev.Logout(context.Background(), devSubject))
	w.vars["logout_token"] = <-w.tokens
}
