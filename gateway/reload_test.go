package gateway_test

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/gateway"
)

const openRoutes = "routes:\n  - pattern: /\n    access: public\n"

func TestReload(t *testing.T) {
	e := newEnv(t, envOpts{})
	if s := e.do("GET", "/other", "").StatusCode; s != 401 {
		t.Fatalf("before: %d", s)
	}
	os.WriteFile(e.routes, []byte(openRoutes), 0o600)
	if err := e.gw.Reload(); err != nil {
		t.Fatal(err)
	}
	if s := e.do("GET", "/other", "").StatusCode; s != 200 {
		t.Fatalf("after: %d", s)
	}
	os.WriteFile(e.routes, []byte("routes:\n  - pattern: /\n    access: open\n"), 0o600)
	if err := e.gw.Reload(); err == nil || !strings.Contains(err.Error(), "line 2: pattern") {
		t.Fatalf("invalid file: %v", err)
	}
	if s := e.do("GET", "/other", "").StatusCode; s != 200 {
		t.Fatalf("an invalid file replaced the routes: %d", s)
	}
}

// TestRunReloadsOnChange: Run notices a changed file by itself.
func TestRunReloadsOnChange(t *testing.T) {
	e := newEnv(t, envOpts{adjust: func(c *gateway.Config) { c.ReloadInterval = 10 * time.Millisecond }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- e.gw.Run(ctx) }()
	defer func() { cancel(); <-done }()
	os.WriteFile(e.routes, []byte(openRoutes+"  - pattern: /x/\n    access: deny\n"), 0o600)
	e.logs.wait(t, "routes reloaded")
	if n := len(e.gw.Table().Rules); n != 2 {
		t.Errorf("%d rules after reload", n)
	}
}

// TestReloadDropsNoRequest: requests in flight while the table is swapped
// all succeed.
func TestReloadDropsNoRequest(t *testing.T) {
	e := newEnv(t, envOpts{routes: openRoutes})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	failures := make(chan int, 1000)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := e.client.Get(e.srv.URL + "/x")
				if err != nil {
					failures <- -1
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failures <- resp.StatusCode
				}
			}
		})
	}
	for i := range 50 {
		os.WriteFile(e.routes, []byte(openRoutes+strings.Repeat("# padding\n", i)), 0o600)
		if err := e.gw.Reload(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("request failed during reloads: %d", f)
	}
}
