package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// devDiscovery is the development provider's discovery document.
const devDiscovery = "/dev-oidc/.well-known/openid-configuration"

// TestDevProviderOnlyWithTheFlag: the development provider signs anyone
// in as a demo person, so neither GATEHOUSE_DEV nor "dev: true" in a
// config file starts it. serve and proxy both refuse them with one line
// naming the setting, before touching the data dir; without --dev
// /dev-oidc/ is not served, and with it the warning is printed.
func TestDevProviderOnlyWithTheFlag(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }))
	t.Cleanup(up.Close)
	// Everything is public and goes to the upstream, which has nothing: a
	// 404 for /dev-oidc/ shows that no provider answered in front of it.
	routes := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(routes, []byte("routes:\n  - pattern: \"/\"\n    access: public\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A fixed port and a public URL: nothing but the source of dev is
	// wrong, so an implementation that took it would start serving (and
	// the context would end it).
	port := freePort(t)
	fixed := []string{"--addr", "127.0.0.1:" + port, "--http-addr", "off", "--public-url", "https://localhost:" + port}
	commands := map[string][]string{
		"serve": append([]string{"serve"}, fixed...),
		"proxy": append([]string{"proxy", "--upstream", up.URL, "--routes", routes}, fixed...),
	}
	run := func(args []string, getenv func(string) string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return run(ctx, args, getenv, io.Discard, io.Discard)
	}
	for cmd, args := range commands {
		t.Run(cmd+" refuses GATEHOUSE_DEV", func(t *testing.T) {
			for _, v := range []string{"true", "1", "false"} {
				getenv, dir := testEnv(t, map[string]string{"GATEHOUSE_DEV": v})
				refused(t, dir, run(args, getenv), "invalid setting dev (from GATEHOUSE_DEV)")
			}
		})
		t.Run(cmd+" refuses dev in the config file", func(t *testing.T) {
			getenv, dir := testEnv(t, nil)
			conf := filepath.Join(t.TempDir(), "gatehouse.yaml")
			if err := os.WriteFile(conf, []byte("dev: true\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			err := run(append(args, "--config", conf), getenv)
			refused(t, dir, err, "invalid setting dev (from "+conf+")")
		})
	}
	t.Run("config check refuses GATEHOUSE_DEV", func(t *testing.T) {
		getenv, dir := testEnv(t, map[string]string{"GATEHOUSE_DEV": "true"})
		refused(t, dir, run([]string{"config", "check"}, getenv), "invalid setting dev")
	})

	t.Run("serve without the flag", func(t *testing.T) {
		getenv, _ := testEnv(t, nil)
		devAbsent(t, startServe(t, getenv))
	})
	t.Run("proxy without the flag", func(t *testing.T) {
		getenv, _ := testEnv(t, nil)
		devAbsent(t, startProxy(t, getenv, up.URL, "--routes", routes))
	})
	t.Run("serve with the flag", func(t *testing.T) {
		getenv, _ := testEnv(t, nil)
		port := freePort(t)
		devPresent(t, startServe(t, getenv, "--addr", "127.0.0.1:"+port, "--dev", "--public-url", "https://localhost:"+port))
	})
	t.Run("proxy with the flag", func(t *testing.T) {
		getenv, _ := testEnv(t, nil)
		port := freePort(t)
		devPresent(t, startProxy(t, getenv, up.URL, "--routes", routes, "--addr", "127.0.0.1:"+port, "--dev", "--public-url", "https://localhost:"+port))
	})
}

// refused checks that err is one line holding want and that the data dir
// is still empty.
func refused(t *testing.T, dataDir string, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err %v, want one line with %q", err, want)
	}
	if entries, _ := os.ReadDir(dataDir); len(entries) != 0 {
		t.Errorf("the data dir was touched: %v", entries)
	}
}

func devAbsent(t *testing.T, s *served) {
	t.Helper()
	if code := statusOf(t, s, devDiscovery); code != http.StatusNotFound {
		t.Errorf("%s without --dev: %d, want 404", devDiscovery, code)
	}
	if strings.Contains(s.stderr.String(), "development OpenID provider") {
		t.Errorf("the development provider's warning without --dev:\n%s", s.stderr)
	}
}

func devPresent(t *testing.T, s *served) {
	t.Helper()
	if code := statusOf(t, s, devDiscovery); code != http.StatusOK {
		t.Errorf("%s with --dev: %d, want 200", devDiscovery, code)
	}
	if !strings.Contains(s.stderr.String(), "WARNING: --dev runs a development OpenID provider") ||
		!strings.Contains(s.stderr.String(), "for development only") {
		t.Errorf("no warning with --dev:\n%s", s.stderr)
	}
}

func statusOf(t *testing.T, s *served, path string) int {
	t.Helper()
	resp, err := s.client.Get(s.url(path))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
