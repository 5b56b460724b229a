package guard_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/problem"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// t0 is the start of every test clock; the store keeps milliseconds.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is a settable clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

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

// openStore opens and migrates the SQLite database at path; t.Cleanup
// closes it.
func openStore(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path, sqlite.Config{CreateIfMissing: true})
	if err != nil {
		tb.Fatalf("sqlite.Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

// env is a guard over a real SQLite store, with a settable clock and a log
// buffer.
type env struct {
	tb    testing.TB
	path  string // the SQLite file, or "" for another store
	store gatehouse.Store
	clock *clock
	g     *guard.Guard
	logs  *syncBuffer
	users int
}

// newEnv makes an env; adjust changes the Config before New.
func newEnv(tb testing.TB, adjust func(*guard.Config)) *env {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "gatehouse.db")
	return newEnvOn(tb, openStore(tb, path), path, adjust)
}

// newEnvOn makes an env on store, whose SQLite file is path ("" for
// another backend).
func newEnvOn(tb testing.TB, store gatehouse.Store, path string, adjust func(*guard.Config)) *env {
	tb.Helper()
	e := &env{tb: tb, path: path, store: store, clock: newClock(), logs: &syncBuffer{}}
	cfg := guard.Config{
		Store: e.store, Now: e.clock.Now,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if adjust != nil {
		adjust(&cfg)
	}
	g, err := guard.New(cfg)
	if err != nil {
		tb.Fatalf("guard.New: %v", err)
	}
	e.g = g
	return e
}

// run runs the guard until the test ends, and returns a function that stops
// it and waits for Run to return.
func (e *env) run() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.g.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				e.tb.Errorf("Run returned %v", err)
			}
		})
	}
	e.tb.Cleanup(stop)
	return stop
}

// user creates a user with the given role.
func (e *env) user(role gatehouse.Role) *gatehouse.User {
	e.tb.Helper()
	e.users++
	sub := fmt.Sprintf("user%d", e.users)
	u := &gatehouse.User{Issuer: "https://idp.example", Subject: sub, Kind: gatehouse.KindPerson,
		Email: sub + "@example.com", Name: "User " + sub, Role: role}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.tb.Fatalf("CreateUser: %v", err)
	}
	return u
}

// key creates a key for owner and returns its text; edit may change the
// stored key before it is created.
func (e *env) key(owner *gatehouse.User, edit func(*gatehouse.APIKey), scopes ...gatehouse.Scope) string {
	e.tb.Helper()
	k, err := apikey.New(rand.Reader)
	if err != nil {
		e.tb.Fatal(err)
	}
	stored := &gatehouse.APIKey{ID: k.ID, UserID: owner.ID, Label: "key " + k.ID, Prefix: k.DisplayPrefix(),
		Hash: k.Hash(), Scopes: gatehouse.NewScopes(scopes...), Created: e.clock.Now()}
	if edit != nil {
		edit(stored)
	}
	if err := e.store.CreateKey(context.Background(), stored); err != nil {
		e.tb.Fatalf("CreateKey: %v", err)
	}
	return k.String()
}

// rejections writes the queued refusals and returns the key.reject
// events, oldest first.
func (e *env) rejections() []*gatehouse.AuditEvent {
	e.tb.Helper()
	if err := e.g.Flush(context.Background()); err != nil {
		e.tb.Fatalf("Flush: %v", err)
	}
	evs, err := e.store.AuditEvents(context.Background(), gatehouse.AuditFilter{Limit: 1000})
	if err != nil {
		e.tb.Fatalf("AuditEvents: %v", err)
	}
	var out []*gatehouse.AuditEvent
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Action == gatehouse.ActionKeyReject {
			out = append(out, evs[i])
		}
	}
	return out
}

// echo answers 200 with the principal's user id, key id and scopes.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, ok := gatehouse.PrincipalFrom(r.Context())
	if !ok {
		fmt.Fprint(w, "anonymous")
		return
	}
	fmt.Fprintf(w, "user=%d key=%s method=%s scopes=%s", p.UserID, p.KeyID, p.Method, p.Scopes)
})

// handler is Authenticate then Require(scope) (RequireAuth when scope is
// empty) then echo.
func (e *env) handler(scope gatehouse.Scope) http.Handler {
	if scope == "" {
		return e.g.Authenticate(e.g.RequireAuth(echo))
	}
	return e.g.Authenticate(e.g.Require(scope, echo))
}

// send serves a GET of target from addr with the Authorization headers.
func send(h http.Handler, addr, target string, auth ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = addr + ":40000"
	for _, a := range auth {
		r.Header.Add("Authorization", a)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// details decodes a problem response.
func details(tb testing.TB, w *httptest.ResponseRecorder) problem.Details {
	tb.Helper()
	if ct := w.Header().Get("Content-Type"); ct != problem.ContentType {
		tb.Fatalf("Content-Type = %q, want %q (status %d, body %s)", ct, problem.ContentType, w.Code, w.Body)
	}
	var d problem.Details
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
		tb.Fatalf("problem body: %v", err)
	}
	return d
}

// eventually calls cond until it is true or the deadline passes; it
// polls, since the change feed offers no signal of its own.
func eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// warm sends key until its entry is cached (Run turns the cache on
// asynchronously), so that what follows tests the cache, not the store.
func (e *env) warm(h http.Handler, key string) {
	e.tb.Helper()
	before := e.g.CacheLen()
	eventually(e.tb, 5*time.Second, "key cached", func() bool {
		w := send(h, "192.0.2.1", "/", "Bearer "+key)
		if w.Code != http.StatusOK {
			e.tb.Fatalf("warm: status %d: %s", w.Code, w.Body)
		}
		return e.g.CacheLen() > before
	})
}

func httptestRequest(target string, auth ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = "192.0.2.1:40000"
	for _, a := range auth {
		r.Header.Add("Authorization", a)
	}
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
