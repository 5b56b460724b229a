package gateway_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/gateway"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/problem"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// seen is one request as the upstream received it.
type seen struct {
	Method     string
	RequestURI string
	Header     http.Header
	BodyLen    int64
}

// upstream is a real HTTP server that records what it receives.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	got  []seen
	next http.Handler // answers after recording; nil: 200 "upstream ok"
}

func newUpstream(t testing.TB, next http.Handler) *upstream {
	t.Helper()
	u := &upstream{next: next}
	u.Server = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	s := seen{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone()}
	if u.next != nil {
		u.record(s)
		u.next.ServeHTTP(w, r)
		return
	}
	s.BodyLen, _ = io.Copy(io.Discard, r.Body)
	u.record(s)
	fmt.Fprint(w, "upstream ok")
}

func (u *upstream) record(s seen) {
	u.mu.Lock()
	u.got = append(u.got, s)
	u.mu.Unlock()
}

// take returns and forgets what the upstream has received.
func (u *upstream) take() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	g := u.got
	u.got = nil
	return g
}

// env is a gateway in front of an upstream, served over TLS with HTTP/2,
// with a guard over a real SQLite store.
type env struct {
	t      testing.TB
	store  *sqlite.Store
	guard  *guard.Guard
	up     *upstream // the default upstream
	other  *upstream // the route file's other upstream, at http://127.0.0.1:1 in the file
	gw     *gateway.Gateway
	srv    *httptest.Server
	client *http.Client
	routes string // the route file
	logs   *logSink
	users  int
}

type envOpts struct {
	routes   string // route file; "" means sampleRoutes
	upstream http.Handler
	other    http.Handler // answers for env.other; nil: 200 "upstream ok"
	adjust   func(*gateway.Config)
	// noRecord serves upstream as it is, without recording requests
	// (for benchmarks).
	noRecord bool
	// sessions, when not nil, authenticates requests without a key.
	sessions guard.Sessions
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "gatehouse.db"), sqlite.Config{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, store: st, up: newUpstream(t, o.upstream), other: newUpstream(t, o.other), logs: newLogSink()}
	if o.noRecord {
		e.up.Config.Handler = o.upstream
	}
	log := slog.New(e.logs)
	if e.guard, err = guard.New(guard.Config{Store: st, Logger: log, Sessions: o.sessions}); err != nil {
		t.Fatal(err)
	}
	runGuard(t, e.guard)
	if o.routes == "" {
		o.routes = sampleRoutes
	}
	e.routes = filepath.Join(dir, "routes.yaml")
	// The sample's billing upstream is a server of its own.
	o.routes = strings.ReplaceAll(o.routes, "http://127.0.0.1:1", e.other.URL)
	if err := os.WriteFile(e.routes, []byte(o.routes), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := gateway.Config{
		Guard: e.guard, RoutesFile: e.routes, Audit: st, Ready: st.Ping, Logger: log, Version: "test",
		ParseOptions: gateway.ParseOptions{DefaultUpstream: e.up.URL, KnownScopes: opts.KnownScopes},
	}
	if o.adjust != nil {
		o.adjust(&cfg)
	}
	if e.gw, err = gateway.New(cfg); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewUnstartedServer(e.gw)
	e.srv.EnableHTTP2 = true
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	e.client = e.srv.Client()
	return e
}

func runGuard(t testing.TB, g *guard.Guard) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// key makes a user with role and a key with scopes, and returns the key.
func (e *env) key(role gatehouse.Role, scopes ...gatehouse.Scope) string {
	e.t.Helper()
	e.users++
	u := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: fmt.Sprintf("svc%d", e.users),
		Kind: gatehouse.KindService, Email: fmt.Sprintf("svc%d@example.com", e.users), Role: role}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	k, err := apikey.New(rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	stored := &gatehouse.APIKey{ID: k.ID, UserID: u.ID, Label: "k", Prefix: k.DisplayPrefix(), Hash: k.Hash(),
		Scopes: gatehouse.NewScopes(scopes...), Created: time.Now()}
	if err := e.store.CreateKey(context.Background(), stored); err != nil {
		e.t.Fatal(err)
	}
	return k.String()
}

// do sends a request through the gateway; key, when not "", goes in the
// Authorization header.
func (e *env) do(method, path, key string, hdr ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "apikey "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// raw sends bytes as one HTTP/1.1 request over TLS, so that nothing
// cleans the path or the header names on the way, and reads the response.
func (e *env) raw(request string) *http.Response {
	e.t.Helper()
	cfg := e.client.Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	conn, err := tls.Dial("tcp", e.srv.Listener.Addr().String(), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, request); err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatalf("reading the response to %q: %v", request, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

// problemOf decodes a problem response.
func problemOf(t testing.TB, resp *http.Response) problem.Details {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("Content-Type %q, want problem+json (status %d)", ct, resp.StatusCode)
	}
	var d problem.Details
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

// logSink is a slog.Handler that keeps messages and signals each one.
type logSink struct {
	mu   sync.Mutex
	msgs []string
	ch   chan string
}

func newLogSink() *logSink { return &logSink{ch: make(chan string, 1000)} }

func (l *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (l *logSink) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logSink) WithGroup(string) slog.Handler            { return l }
func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.mu.Lock()
	l.msgs = append(l.msgs, b.String())
	l.mu.Unlock()
	select {
	case l.ch <- r.Message:
	default:
	}
	return nil
}

// wait returns when a message msg is logged, or fails the test.
func (l *logSink) wait(t testing.TB, msg string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-l.ch:
			if m == msg {
				return
			}
		case <-timeout:
			t.Fatalf("no %q logged", msg)
		}
	}
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msgs, "\n")
}
