package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
	"github.com/gatehouse-dev/gatehouse/keyring"
	"github.com/gatehouse-dev/gatehouse/policy"
	"github.com/gatehouse-dev/gatehouse/problem"
	"github.com/gatehouse-dev/gatehouse/server"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// testStore is what the harness needs of a backend.
type testStore interface {
	gatehouse.Store
	blog.PostStore
}

// backends runs fn once per store backend: a real SQLite file, and the
// real PostgreSQL (see pgtest) in a schema of its own.
func backends(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newHarness(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, newHarnessOn(t, pgtest.Open(t))) })
}

// harness is a real server over TLS on loopback, on a real store.
type harness struct {
	t      *testing.T
	url    string
	client *http.Client
	store  testStore
	keys   *keyring.Service
	guard  *guard.Guard
}

// newHarness returns a harness on a new SQLite file.
func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "g.db"), sqlite.Config{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return newHarnessOn(t, st)
}

// newHarnessOn returns a harness on st.
func newHarnessOn(t *testing.T, st testStore) *harness {
	t.Helper()
	srv, g, keys := newServerOn(t, st, nil)
	gctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(gctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	ts := httptest.NewTLSServer(srv)
	t.Cleanup(ts.Close)
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &harness{t: t, url: ts.URL, client: c, store: st, keys: keys, guard: g}
}

// newServerOn returns a Server on st that logs to log (nil: nowhere), with
// its guard (not yet running) and key service.
func newServerOn(t *testing.T, st testStore, log *slog.Logger) (*server.Server, *guard.Guard, *keyring.Service) {
	t.Helper()
	g, err := guard.New(guard.Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.New(keyring.Config{Store: st, Invalidator: g})
	if err != nil {
		t.Fatal(err)
	}
	authz, err := policy.New(policy.Config{})
	if err != nil {
		t.Fatal(err)
	}
	posts, err := blog.NewService(blog.Config{Store: st, Authorizer: authz})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, Guard: g, Keys: keys, Blog: blog.NewAPI(posts, nil), Logger: log, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return srv, g, keys
}

// user creates a service account with role r.
func (h *harness) user(name string, r gatehouse.Role) *gatehouse.User {
	h.t.Helper()
	u := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: name, Kind: gatehouse.KindService, Name: name, Role: r}
	if err := h.store.CreateUser(context.Background(), u); err != nil {
		h.t.Fatal(err)
	}
	return u
}

// key creates a key for u with the given scopes and returns its secret.
func (h *harness) key(u *gatehouse.User, label string, scopes ...string) (string, *gatehouse.APIKey) {
	h.t.Helper()
	c, err := h.keys.Create(context.Background(), keyring.Actor{}, u.ID, keyring.CreateRequest{Label: label, Scopes: scopes})
	if err != nil {
		h.t.Fatal(err)
	}
	return c.Secret, c.Key
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
}

func (r reply) problem(t *testing.T) problem.Details {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != problem.ContentType {
		t.Fatalf("content type %q (status %d, body %s), want problem+json", ct, r.status, r.body)
	}
	var d problem.Details
	r.json(t, &d)
	return d
}

// do sends a request; hdr is pairs of header names and values.
func (h *harness) do(method, path, body string, hdr ...string) reply {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Content-Type" {
			req.Header.Set(hdr[i], hdr[i+1])
			continue
		}
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, b}
}

func auth(key string) []string { return []string{"Authorization", "apikey " + key} }
