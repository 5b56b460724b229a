package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse/problem"
)

// panickyStore is a real store whose Ping panics while panics is set, so
// that GET /readyz panics inside a handler.
type panickyStore struct {
	testStore
	panics atomic.Bool
}

const panicText = "panic-detail-7f3a: connection string postgres://user:hunter2@db"

func (p *panickyStore) Ping(ctx context.Context) error {
	if p.panics.Load() {
		panic(panicText)
	}
	return p.testStore.Ping(ctx)
}

// lockedLog is a log destination safe for the server and the test.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestHandlerPanicIsAProblem500: a panic in a handler, through the
// server's middleware, is a 500 problem+json whose body holds neither the
// panic's value nor a stack; the panic is logged, and the server (and the
// same connection) goes on serving.
func TestHandlerPanicIsAProblem500(t *testing.T) {
	h := newHarness(t) // for its migrated SQLite store
	st := &panickyStore{testStore: h.store}
	logs := &lockedLog{}
	srv, _, _ := newServerOn(t, st, slog.New(slog.NewJSONHandler(logs, nil)))
	ts := httptest.NewUnstartedServer(srv)
	var conns atomic.Int32
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	client := ts.Client()
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := client.Get(ts.URL + path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	st.panics.Store(true)
	resp, body := get("/readyz")
	if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != problem.ContentType {
		t.Fatalf("panic: %d %q %s, want 500 problem+json", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	for _, leak := range []string{"panic-detail", "hunter2", "goroutine", ".go:"} {
		if strings.Contains(body, leak) {
			t.Errorf("the 500 body shows %q: %s", leak, body)
		}
	}
	if resp.Header.Get("Request-Id") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("the 500 lacks the usual headers: %v", resp.Header)
	}
	if !strings.Contains(logs.String(), "panic-detail-7f3a") || !strings.Contains(logs.String(), `"status":500`) {
		t.Errorf("the panic or its 500 is not logged:\n%s", logs.String())
	}

	st.panics.Store(false)
	for _, path := range []string{"/healthz", "/readyz"} {
		if resp, body := get(path); resp.StatusCode != 200 {
			t.Errorf("after the panic, %s: %d %s", path, resp.StatusCode, body)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want the first one kept after the panic", n)
	}
}
