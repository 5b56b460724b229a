package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// served is a running "gatehouse serve" started by startServe.
type served struct {
	addr     string // host:port of the HTTPS API
	httpAddr string // host:port of the redirect listener
	caPath   string
	dataDir  string
	banner   []string     // what serve printed on stdout up to its curl line
	client   *http.Client // trusts the development CA
	stderr   *syncBuffer
	done     chan error
	cancel   context.CancelFunc
}

// syncBuffer is a bytes buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

var (
	listenLine = regexp.MustCompile(`listening on https?://(\S+)`)
	plainLine  = regexp.MustCompile(`plain HTTP on http://(\S+)`)
	caLine     = regexp.MustCompile(`development CA: (\S+)`)
)

// testEnv returns a getenv that isolates the data dir in t.TempDir().
func testEnv(t *testing.T, extra map[string]string) (func(string) string, string) {
	dir := t.TempDir()
	m := map[string]string{"GATEHOUSE_DATA_DIR": dir}
	for k, v := range extra {
		m[k] = v
	}
	return func(k string) string { return m[k] }, dir
}

// startServe runs "gatehouse serve" on loopback ports chosen by the kernel
// and waits for its banner: a signal, not a sleep.
func startServe(t *testing.T, getenv func(string) string, args ...string) *served {
	t.Helper()
	return launchServe(t, getenv, true, args)
}

// launchServe is startServe. With devCA it waits for the whole banner of
// a server on the development CA (through the curl line) and gives the
// result a client that trusts the CA; without, for other certificate
// sources, it waits for the listening and plain-HTTP lines (there is no CA
// or curl line) and leaves client nil.
func launchServe(t *testing.T, getenv func(string) string, devCA bool, args []string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &served{stderr: &syncBuffer{}, done: make(chan error, 1), cancel: cancel, dataDir: getenv("GATEHOUSE_DATA_DIR")}
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	go func() {
		err := run(ctx, args, getenv, pw, s.stderr)
		pw.CloseWithError(io.EOF)
		s.done <- err
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		s.banner = append(s.banner, line)
		if m := listenLine.FindStringSubmatch(line); m != nil {
			s.addr = m[1]
		}
		if m := plainLine.FindStringSubmatch(line); m != nil {
			s.httpAddr = m[1]
		}
		if m := caLine.FindStringSubmatch(line); m != nil {
			s.caPath = m[1]
		}
		if devCA && strings.HasPrefix(line, "try: curl") || !devCA && s.httpAddr != "" {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if s.addr == "" || devCA && s.caPath == "" || !devCA && s.httpAddr == "" {
		cancel()
		t.Fatalf("server did not start: %v\nstderr: %s", <-s.done, s.stderr.String())
	}
	if devCA {
		s.client = clientTrusting(t, s.caPath)
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func (s *served) stop(t *testing.T) error {
	s.cancel()
	select {
	case err, ok := <-s.done:
		if ok {
			close(s.done)
		}
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop")
	}
	return nil
}

func (s *served) url(path string) string { return "https://" + s.addr + path }

func clientTrusting(t *testing.T, caPath string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestServeHTTPSWithDevelopmentCA(t *testing.T) {
	getenv, dir := testEnv(t, nil)
	s := startServe(t, getenv)
	if filepath.Dir(s.caPath) != dir {
		t.Errorf("CA at %s, want it in the data dir %s", s.caPath, dir)
	}
	resp, err := s.client.Get(s.url("/healthz"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=63072000") {
		t.Errorf("HSTS %q", hsts)
	}
	if resp.ProtoMajor != 2 {
		t.Errorf("protocol %s, want HTTP/2", resp.Proto)
	}
	if resp.Header.Get("Request-Id") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("headers %v", resp.Header)
	}
	if !strings.Contains(s.stderr.String(), `"msg":"request"`) {
		t.Errorf("no access log line in %s", s.stderr.String())
	}
}

func TestServeOldTLSRefused(t *testing.T) {
	getenv, _ := testEnv(t, nil)
	s := startServe(t, getenv)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		conn, err := tls.Dial("tcp", s.addr, &tls.Config{MinVersion: v, MaxVersion: v, InsecureSkipVerify: true})
		if err == nil {
			conn.Close()
			t.Errorf("TLS version %x: handshake succeeded", v)
		}
	}
}

func TestServeRedirectsPlainHTTP(t *testing.T) {
	getenv, _ := testEnv(t, nil)
	s := startServe(t, getenv)
	resp, err := s.client.Get("http://" + s.httpAddr + "/anything?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, port, _ := strings.Cut(s.addr, ":")
	want := "https://127.0.0.1:" + port + "/anything?x=1"
	if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Errorf("got %d %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

func TestServeReusesDevelopmentCA(t *testing.T) {
	getenv, _ := testEnv(t, nil)
	s := startServe(t, getenv)
	first, _ := os.ReadFile(s.caPath)
	if err := s.stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}
	s2 := startServe(t, getenv)
	second, _ := os.ReadFile(s2.caPath)
	if string(first) != string(second) || len(first) == 0 {
		t.Error("the development CA was not reused across restarts")
	}
}

func TestServeStartupErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) []string
		want  string
		// lines is how many lines the error may have; 0 means one.
		lines int
	}{
		{"corrupt database", func(t *testing.T, dir string) []string {
			os.WriteFile(filepath.Join(dir, "gatehouse.db"), []byte(strings.Repeat("not a database ", 100)), 0o600)
			return nil
		}, "not a Gatehouse database", 0},
		{"unreadable certificate", func(t *testing.T, dir string) []string {
			return []string{"--tls-cert", filepath.Join(dir, "missing.pem"), "--tls-key", filepath.Join(dir, "missing-key.pem")}
		}, "missing.pem", 0},
		{"unknown config key", func(t *testing.T, dir string) []string {
			p := filepath.Join(dir, "c.yaml")
			os.WriteFile(p, []byte("adress: ':1'\n"), 0o600)
			return []string{"--config", p}
		}, `unknown setting "adress"`, 0},
		{"policy that does not parse", func(t *testing.T, dir string) []string {
			p := filepath.Join(dir, "bad.cedar")
			os.WriteFile(p, []byte("permit (principal, action, resource)\n  when { resource.status == };"), 0o600)
			return []string{"--policy", p}
		}, `bad.cedar:2:30: ";": invalid primary`, 0},
		{"policy that does not fit the schema", func(t *testing.T, dir string) []string {
			p := filepath.Join(dir, "bad.cedar")
			os.WriteFile(p, []byte("permit (principal, action, resource is Post)\nwhen { resource.title == \"x\" };"), 0o600)
			return []string{"--policy", p}
		}, "bad.cedar:1:1: attribute `title` on entity type `Post` not found", 2}, // the file, then one line per problem
		{"missing policy file", func(t *testing.T, dir string) []string {
			return []string{"--policy", filepath.Join(dir, "missing.cedar")}
		}, "missing.cedar", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv, dir := testEnv(t, nil)
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--http-addr", "off"}, tt.setup(t, dir)...)
			before := snapshot(t, dir)
			err := run(context.Background(), args, getenv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != max(tt.lines, 1) {
				t.Errorf("error has %d lines, want %d: %q", n, max(tt.lines, 1), err)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("data dir changed:\n%s\n---\n%s", before, after)
			}
		})
	}
}

func TestServePortInUse(t *testing.T) {
	getenv, _ := testEnv(t, nil)
	s := startServe(t, getenv)
	getenv2, dir2 := testEnv(t, nil)
	err := run(context.Background(), []string{"serve", "--addr", s.addr, "--http-addr", "off", "--demo"}, getenv2, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen on "+s.addr) {
		t.Fatalf("err %v", err)
	}
	if entries, _ := os.ReadDir(dir2); len(entries) != 0 {
		t.Errorf("a start that could not listen left %d files behind (store, CA, demo)", len(entries))
	}
}

// snapshot lists the files of dir with their sizes and contents' lengths.
func snapshot(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			b.WriteString(p + " " + string(data) + "\n")
		}
		return nil
	})
	return b.String()
}
