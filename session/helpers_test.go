package session_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
	"github.com/gatehouse-dev/gatehouse/postgres"
	"github.com/gatehouse-dev/gatehouse/problem"
	"github.com/gatehouse-dev/gatehouse/session"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// t0 is the start of every test clock, in the precision the stores keep.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is a settable clock, shared by the Manager and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// backend opens a new, migrated store with the given clock.
type backend struct {
	name string
	open func(t testing.TB, now func() time.Time) (gatehouse.Store, string)
}

// backends are the stores every end-to-end test runs on. The SQLite one
// also returns its file's directory.
var backends = []backend{
	{"sqlite", func(t testing.TB, now func() time.Time) (gatehouse.Store, string) {
		dir := t.TempDir()
		s, err := sqlite.Open(t.Context(), filepath.Join(dir, "gatehouse.db"), sqlite.Config{CreateIfMissing: true, Now: now})
		if err != nil {
			t.Fatalf("sqlite.Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s, dir
	}},
	{"postgres", func(t testing.TB, now func() time.Time) (gatehouse.Store, string) {
		schema := pgtest.Schema(t)
		s, err := postgres.Open(t.Context(), pgtest.DSN(t), postgres.Config{Schema: schema, Now: now})
		if err != nil {
			t.Fatalf("postgres.Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if _, err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s, ""
	}},
}

// eachBackend runs test as a subtest on every backend.
func eachBackend(t *testing.T, test func(t *testing.T, e *env)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, newEnv(t, b, nil)) })
	}
}

// env is a Manager and a guard over a real store, served over TLS by a
// small application: the routes a server would give sessions.
type env struct {
	t     testing.TB
	store gatehouse.Store
	dir   string // the SQLite file's directory, or ""
	clock *clock
	m     *session.Manager
	srv   *httptest.Server
	users int
}

// newEnv makes an env on b; adjust may change the Config before New.
func newEnv(t testing.TB, b backend, adjust func(*session.Config)) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{t: t0}}
	e.store, e.dir = b.open(t, e.clock.Now)
	e.m = e.manager(adjust)
	g, err := guard.New(guard.Config{Store: e.store, Sessions: e.m, Now: e.clock.Now})
	if err != nil {
		t.Fatalf("guard.New: %v", err)
	}
	e.srv = httptest.NewTLSServer(e.routes(g))
	t.Cleanup(e.srv.Close)
	return e
}

// manager returns a new Manager on the env's store and clock, as a second
// instance of the server would have.
func (e *env) manager(adjust func(*session.Config)) *session.Manager {
	e.t.Helper()
	cfg := session.Config{
		Store: e.store, Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler),
		Scopes: gatehouse.NewScopes(append(gatehouse.BuiltinScopes, "blog.posts:write")...),
	}
	if adjust != nil {
		adjust(&cfg)
	}
	m, err := session.New(cfg)
	if err != nil {
		e.t.Fatalf("session.New: %v", err)
	}
	return m
}

// routes is the application: sign-in (standing in for the provider's
// callback), a few guarded routes, logout, the user's sessions, and the
// two halves of a login flow.
func (e *env) routes(g *guard.Guard) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /test/signin", e.signIn)
	mux.Handle("/public", g.Authenticate(http.HandlerFunc(public)))
	mux.Handle("GET /me", g.Authenticate(g.Require(gatehouse.ScopeRead, http.HandlerFunc(me))))
	mux.Handle("POST /write", g.Authenticate(g.Require(gatehouse.ScopeWrite, http.HandlerFunc(me))))
	mux.Handle("DELETE /write", g.Authenticate(g.Require(gatehouse.ScopeWrite, http.HandlerFunc(me))))
	mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		reply(w, r, nil, e.m.End(r.Context(), w, r))
	})
	mux.Handle("GET /sessions", g.Authenticate(g.RequireAuth(http.HandlerFunc(e.listSessions))))
	mux.Handle("DELETE /sessions/{id}", g.Authenticate(g.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		reply(w, r, nil, e.m.EndOne(r.Context(), p.UserID, r.PathValue("id")))
	}))))
	mux.HandleFunc("GET /login/begin", func(w http.ResponseWriter, r *http.Request) {
		f := &gatehouse.LoginFlow{State: r.URL.Query().Get("state"), Provider: "dev", Nonce: "n-" + r.URL.Query().Get("state")}
		reply(w, r, nil, e.m.BeginLogin(r.Context(), w, f))
	})
	mux.HandleFunc("GET /login/finish", func(w http.ResponseWriter, r *http.Request) {
		f, err := e.m.FinishLogin(r.Context(), w, r, r.URL.Query().Get("state"))
		reply(w, r, f, err)
	})
	return mux
}

// signIn starts a session for the user whose id is in the query.
func (e *env) signIn(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.URL.Query().Get("user"), 10, 64)
	u, err := e.store.User(r.Context(), id)
	if err == nil {
		_, err = e.m.Start(r.Context(), w, r, u, session.Meta{Provider: "dev", Issuer: "https://idp.example", SID: "sid-" + r.URL.Query().Get("sid")})
	}
	reply(w, r, nil, err)
}

// public answers "anonymous" or the caller's user id, to anyone.
func public(w http.ResponseWriter, r *http.Request) {
	if p, ok := gatehouse.PrincipalFrom(r.Context()); ok {
		fmt.Fprintf(w, "user %d", p.UserID)
		return
	}
	fmt.Fprint(w, "anonymous")
}

// me answers with the request's principal.
func me(w http.ResponseWriter, r *http.Request) {
	p, _ := gatehouse.PrincipalFrom(r.Context())
	reply(w, r, p, nil)
}

func (e *env) listSessions(w http.ResponseWriter, r *http.Request) {
	p, _ := gatehouse.PrincipalFrom(r.Context())
	list, err := e.m.List(r.Context(), p.UserID)
	ids := []string{}
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	reply(w, r, ids, err)
}

// reply writes v as JSON, 204 when v is nil, or err as a problem.
func reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	switch {
	case err != nil:
		problem.Write(w, r, nil, err)
	case v == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
}

// user creates a person with the given role.
func (e *env) user(role gatehouse.Role) *gatehouse.User {
	e.t.Helper()
	e.users++
	sub := fmt.Sprintf("person%d", e.users)
	u := &gatehouse.User{Issuer: "https://idp.example", Subject: sub, Kind: gatehouse.KindPerson,
		Email: sub + "@example.com", Name: "Person " + sub, Role: role}
	if err := e.store.CreateUser(e.t.Context(), u); err != nil {
		e.t.Fatalf("CreateUser: %v", err)
	}
	return u
}

// key creates an API key with every scope for owner and returns its text.
func (e *env) key(owner *gatehouse.User) string {
	e.t.Helper()
	k, err := apikey.New(rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	err = e.store.CreateKey(e.t.Context(), &gatehouse.APIKey{ID: k.ID, UserID: owner.ID, Label: k.ID, Prefix: k.DisplayPrefix(),
		Hash: k.Hash(), Scopes: gatehouse.NewScopes(gatehouse.BuiltinScopes...), Created: e.clock.Now()})
	if err != nil {
		e.t.Fatalf("CreateKey: %v", err)
	}
	return k.String()
}

// browser is a client with a cookie jar of its own, as one browser
// profile is.
type browser struct {
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	// A copy: the server's client is shared, and each browser has its own
	// jar.
	c := *e.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{e: e, c: &c, jar: jar}
}

// response is what a request got back.
type response struct {
	status  int
	body    string
	cookies []string // the raw Set-Cookie lines
}

// do sends a request as a browser would from a page of the same origin
// (Sec-Fetch-Site: same-origin); header adds or replaces headers, and a
// header set to "" is removed.
func (b *browser) do(method, path string, header map[string]string) response {
	b.e.t.Helper()
	req, err := http.NewRequestWithContext(b.e.t.Context(), method, b.e.srv.URL+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("User-Agent", "TestBrowser/1.0")
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(body), cookies: resp.Header.Values("Set-Cookie")}
}

// get sends a same-origin GET and returns the status.
func (b *browser) get(path string) int {
	b.e.t.Helper()
	return b.do("GET", path, nil).status
}

// signIn signs the browser in as u and fails the test unless it worked.
func (b *browser) signIn(u *gatehouse.User) {
	b.e.t.Helper()
	if r := b.do("GET", "/test/signin?user="+strconv.FormatInt(u.ID, 10), nil); r.status != http.StatusNoContent {
		b.e.t.Fatalf("sign in as %d: %d %s", u.ID, r.status, r.body)
	}
}

// cookie returns the value of the named cookie in the jar, or "".
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie puts a cookie in the jar, as if the server had set it.
func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.e.srv.URL)
	b.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/", Secure: true}})
}

// withCookie returns a new browser holding only the given session cookie:
// a copy of a stolen or remembered cookie.
func (e *env) withCookie(value string) *browser {
	b := e.browser()
	b.setCookie(session.CookieName, value)
	return b
}

// flowState returns a new random login state.
func flowState() string { return strings.ToLower(rand.Text()) }

// ctx is a background context for calls outside a request.
func ctx(t testing.TB) context.Context { return t.Context() }
