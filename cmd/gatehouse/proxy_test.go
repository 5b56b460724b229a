package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const proxyRoutes = `routes:
  - pattern: "GET /public/"
    access: public
  - pattern: "/api/"
    access: authenticated
  - pattern: "/api/admin/"
    scopes: [admin]
`

// startProxy runs "gatehouse proxy" in front of upstream and waits for its
// banner.
func startProxy(t *testing.T, getenv func(string) string, upstream string, args ...string) *served {
	t.Helper()
	routes := filepath.Join(t.TempDir(), "routes.yaml")
	os.WriteFile(routes, []byte(proxyRoutes), 0o600)
	return startProxyArgs(t, getenv, append([]string{"--upstream", upstream, "--routes", routes}, args...)...)
}

// startProxyArgs runs "gatehouse proxy" with args and waits for its
// banner.
func startProxyArgs(t *testing.T, getenv func(string) string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &served{stderr: &syncBuffer{}, done: make(chan error, 1), cancel: cancel, dataDir: getenv("GATEHOUSE_DATA_DIR")}
	args = append([]string{"proxy", "--addr", "127.0.0.1:0", "--http-addr", "off", "--log-format", "json"}, args...)
	go func() {
		err := run(ctx, args, getenv, pw, s.stderr)
		pw.CloseWithError(io.EOF)
		s.done <- err
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if m := listenLine.FindStringSubmatch(line); m != nil {
			s.addr = m[1]
		}
		if m := caLine.FindStringSubmatch(line); m != nil {
			s.caPath = m[1]
		}
		if strings.HasPrefix(line, "try: curl") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if s.addr == "" || s.caPath == "" {
		cancel()
		t.Fatalf("proxy did not start: %v\nstderr: %s", <-s.done, s.stderr.String())
	}
	s.client = clientTrusting(t, s.caPath)
	t.Cleanup(func() { s.stop(t) })
	return s
}

// cli runs one command and returns its stdout.
func cli(t *testing.T, getenv func(string) string, args ...string) string {
	t.Helper()
	var out, errOut strings.Builder
	if err := run(context.Background(), args, getenv, &out, &errOut); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

// TestProxyCommand puts a real upstream behind "gatehouse proxy" and sends
// an anonymous, a key-authenticated and an under-scoped request through it.
func TestProxyCommand(t *testing.T) {
	var gotUser, gotAuth string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser, gotAuth = r.Header.Get("X-Gatehouse-User-Id"), r.Header.Get("Authorization")
		io.WriteString(w, "upstream "+r.URL.Path)
	}))
	t.Cleanup(up.Close)
	getenv, _ := testEnv(t, nil)
	cli(t, getenv, "users", "add", "--service", "svc", "--role", "reader")
	key := strings.TrimSpace(cli(t, getenv, "keys", "create", "--user", "svc", "--label", "k", "--scope", "read"))
	s := startProxy(t, getenv, up.URL, "--assertion", "EdDSA")
	get := func(path, key string) (int, string) {
		req, _ := http.NewRequest("GET", s.url(path), nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/public/x", ""); code != 200 || body != "upstream /public/x" || gotUser != "" {
		t.Errorf("public: %d %q user %q", code, body, gotUser)
	}
	if code, _ := get("/api/x", ""); code != 401 {
		t.Errorf("anonymous /api/x: %d", code)
	}
	if code, _ := get("/api/x", key); code != 200 || gotUser == "" || gotAuth != "" {
		t.Errorf("with a key: %d user %q authorization %q", code, gotUser, gotAuth)
	}
	if code, _ := get("/api/admin/x", key); code != 403 {
		t.Errorf("without the admin scope: %d", code)
	}
	for _, p := range []string{"/.gatehouse/health", "/.gatehouse/ready", "/.well-known/jwks.json"} {
		if code, _ := get(p, ""); code != 200 {
			t.Errorf("%s: %d", p, code)
		}
	}
}

func TestProxyStartupErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o600)
		return p
	}
	bad := write("bad.yaml", "routes:\n  - pattern: /api/\n    access: authenticated\n  - pattern: /auth/login\n    access: public\n")
	scope := write("scope.yaml", "routes:\n  - pattern: /api/\n    scopes: [billing]\n")
	console := write("console.yaml", "routes:\n  - pattern: GET /.gatehouse/keys\n    access: public\n")
	auth := write("auth.yaml", "routes:\n  - pattern: /auth/\n    access: authenticated\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no routes", []string{"--upstream", "http://127.0.0.1:9"}, "invalid setting routes"},
		{"reserved path", []string{"--upstream", "http://127.0.0.1:9", "--routes", bad}, "line 4: pattern \"/auth/login\": /auth/ is served by the gateway"},
		{"console path", []string{"--upstream", "http://127.0.0.1:9", "--routes", console}, "line 2: pattern \"GET /.gatehouse/keys\": /.gatehouse/ is served by the gateway"},
		{"sign-in prefix", []string{"--upstream", "http://127.0.0.1:9", "--routes", auth}, "line 2: pattern \"/auth/\": /auth/ is served by the gateway"},
		{"no upstream", []string{"--routes", bad}, `upstream "default" is not defined`},
		{"unknown scope", []string{"--upstream", "http://127.0.0.1:9", "--routes", scope}, `unknown scope "billing"`},
		{"bad upstream", []string{"--upstream", "ftp://x", "--routes", scope, "--scope", "billing"}, "want an http:// or https:// URL"},
		{"bad assertion", []string{"--routes", scope, "--assertion", "HS256"}, "invalid setting assertion"},
		{"bad identity header", []string{"--routes", scope, "--identity-header", "user=X-U"}, "invalid setting identity-header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv, dataDir := testEnv(t, nil)
			args := append([]string{"proxy", "--addr", "127.0.0.1:0", "--http-addr", "off"}, tt.args...)
			err := run(context.Background(), args, getenv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if entries, _ := os.ReadDir(dataDir); len(entries) != 0 {
				t.Errorf("the data dir was touched before the routes were checked: %v", entries)
			}
		})
	}
}

func TestRoutesCommandWithFile(t *testing.T) {
	routes := filepath.Join(t.TempDir(), "routes.yaml")
	os.WriteFile(routes, []byte(proxyRoutes), 0o600)
	getenv, _ := testEnv(t, map[string]string{"GATEHOUSE_UPSTREAM": "http://127.0.0.1:9000"})
	table := cli(t, getenv, "routes", "--routes", routes)
	for _, want := range []string{"GET /public/", "authenticated, scopes: admin", "default http://127.0.0.1:9000", "(anything else)", "/.gatehouse/"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"GET", "/api/admin/users"}, `rule at line 6 "/api/admin/" decides: authenticated, scopes: admin`},
		{[]string{"HEAD", "/public/x"}, `rule at line 2 "GET /public/" decides: public`},
		{[]string{"POST", "/public/x"}, "no rule matches: denied"},
		{[]string{"GET", "/public/%2e%2e/api/admin/"}, "refused with 400"},
		{[]string{"GET", "/.gatehouse/health"}, "served by the gateway itself"},
	}
	for _, tt := range tests {
		out := cli(t, getenv, append([]string{"routes", "--routes", routes, "test"}, tt.args...)...)
		if !strings.Contains(out, tt.want) {
			t.Errorf("routes test %v: %q, want %q", tt.args, out, tt.want)
		}
	}
	if err := run(context.Background(), []string{"routes", "--routes", routes, "test", "GET"}, getenv, io.Discard, io.Discard); err == nil {
		t.Error("routes test without a target succeeded")
	}
	if out := cli(t, getenv, "routes"); !strings.Contains(out, "GET /healthz") {
		t.Errorf("routes without --routes no longer prints serve's table:\n%s", out)
	}
}

// TestProxyConfigFile: the proxy's own settings (upstream, routes,
// assertion) come from a config file as they do from flags, and "config
// check --proxy" accepts that file without touching the data directory;
// "config check" without --proxy says which command the settings are for.
func TestProxyConfigFile(t *testing.T) {
	var gotUser string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUser = r.Header.Get("X-Caller")
		io.WriteString(w, "upstream "+r.URL.Path)
	}))
	t.Cleanup(up.Close)
	dir := t.TempDir()
	routes := filepath.Join(dir, "routes.yaml")
	os.WriteFile(routes, []byte(proxyRoutes), 0o600)
	conf := filepath.Join(dir, "gatehouse.yaml")
	os.WriteFile(conf, []byte("upstream: "+up.URL+"\nroutes: "+routes+"\nassertion: EdDSA\nidentity-header: [user-id=X-Caller]\n"), 0o600)
	getenv, dataDir := testEnv(t, nil)

	var out strings.Builder
	if err := run(context.Background(), []string{"config", "check", "--proxy", "--config", conf}, getenv, &out, io.Discard); err != nil || out.String() != "proxy configuration OK\n" {
		t.Fatalf("config check --proxy: %v %q", err, out.String())
	}
	if entries, _ := os.ReadDir(dataDir); len(entries) != 0 {
		t.Errorf("config check --proxy wrote %d files into the data dir", len(entries))
	}
	err := run(context.Background(), []string{"config", "check", "--config", conf}, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "config check --proxy") {
		t.Errorf("config check of a proxy file: %v, want a pointer to --proxy", err)
	}
	badRoutes := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badRoutes, []byte("routes:\n  - pattern: /api/\n    access: everyone\n"), 0o600)
	err = run(context.Background(), []string{"config", "check", "--proxy", "--config", conf, "--routes", badRoutes}, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `line 2: pattern "/api/": unknown access "everyone"`) {
		t.Errorf("config check --proxy with a bad route file: %v", err)
	}

	cli(t, getenv, "users", "add", "--service", "svc", "--role", "reader")
	key := strings.TrimSpace(cli(t, getenv, "keys", "create", "--user", "svc", "--label", "k", "--scope", "read"))
	s := startProxyArgs(t, getenv, "--config", conf)
	for _, tt := range []struct {
		path, key string
		status    int
		body      string
	}{
		{"/public/x", "", 200, "upstream /public/x"},
		{"/api/x", "", 401, ""},
		{"/api/x", key, 200, "upstream /api/x"},
		{"/.well-known/jwks.json", "", 200, `"keys"`},
	} {
		gotUser = ""
		req, _ := http.NewRequest("GET", s.url(tt.path), nil)
		if tt.key != "" {
			req.Header.Set("Authorization", "Bearer "+tt.key)
		}
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.body) {
			t.Errorf("GET %s: %d %q, want %d %q", tt.path, resp.StatusCode, b, tt.status, tt.body)
		}
		if (tt.key != "") != (gotUser != "") {
			t.Errorf("GET %s: the upstream saw X-Caller %q", tt.path, gotUser)
		}
	}
}
