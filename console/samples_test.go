package console_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"flag"
	"go/format"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/console"
)

var update = flag.Bool("update", false, "rewrite docs/examples from console.Samples")

// docsOrigin is the server the examples in docs/examples call: the
// default address of "gatehouse serve".
const docsOrigin = "https://localhost:8443"

// TestDocsExamplesMatchTheConsole keeps docs/examples identical to what
// the console shows, so that what TestSamplesRun proves of the one holds
// for the other.
func TestDocsExamplesMatchTheConsole(t *testing.T) {
	dir := filepath.Join("..", "docs", "examples")
	for _, s := range console.Samples(docsOrigin) {
		path := filepath.Join(dir, s.ID)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(s.Code), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./console -run DocsExamples -update)", err)
		}
		if string(got) != s.Code {
			t.Errorf("%s differs from console.Samples (run go test ./console -run DocsExamples -update)", path)
		}
	}
}

func TestSamplesReadTheKeyFromTheEnvironment(t *testing.T) {
	for _, s := range console.Samples(docsOrigin) {
		if !strings.Contains(s.Code, console.EnvVar) || secretRE.MatchString(s.Code) {
			t.Errorf("%s does not read the key from %s", s.ID, console.EnvVar)
		}
		if s.ID == "main.go" {
			if f, err := format.Source([]byte(s.Code)); err != nil || !bytes.Equal(f, []byte(s.Code)) {
				t.Errorf("the Go sample is not gofmt-clean: %v", err)
			}
		}
	}
}

// pageSamples returns the code blocks of a page, unescaped, by the ids
// of their headings.
func pageSamples(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	re := regexp.MustCompile(`(?s)<pre aria-labelledby="sample-([^"]+)"><code>(.*?)</code></pre>`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	if len(out) != len(console.Samples(docsOrigin)) {
		t.Fatalf("page shows %d samples, want %d", len(out), len(console.Samples(docsOrigin)))
	}
	return out
}

// sampleRunners say how to run each sample; need is the program it needs.
var sampleRunners = []struct {
	id, need string
	run      func(dir, file string) *exec.Cmd
}{
	{"curl.sh", "curl", func(dir, file string) *exec.Cmd { return exec.Command("sh", file) }},
	{"main.go", "go", func(dir, file string) *exec.Cmd { return exec.Command("go", "run", file) }},
	{"requests_apikey.py", "python3", func(dir, file string) *exec.Cmd { return exec.Command("python3", file) }},
	{"requests_basic.py", "python3", func(dir, file string) *exec.Cmd { return exec.Command("python3", file) }},
	{"fetch.mjs", "node", func(dir, file string) *exec.Cmd { return exec.Command("node", file) }},
}

// TestSamplesRun runs the sample code exactly as the key's page shows it,
// against the real server, with a real key in the environment: curl and Go
// always, Python where requests is installed, JavaScript where Node.js is.
// With a revoked key every sample must fail.
func TestSamplesRun(t *testing.T) {
	h := newHarness(t)
	u := h.user(gatehouse.RoleAuthor)
	secret, k := h.key(u, "samples", "read")
	page := h.signIn(u).get("/keys/"+k.ID).mustStatus(t, http.StatusOK)
	codes := pageSamples(t, page.body)
	ca := writeCA(t, h)
	dir := t.TempDir()
	for _, sr := range sampleRunners {
		t.Run(sr.id, func(t *testing.T) {
			skipUnless(t, sr.id, sr.need)
			file := filepath.Join(dir, sr.id)
			if err := os.WriteFile(file, []byte(codes[sr.id]), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := runSample(t, sr.run(dir, file), dir, ca, secret)
			if err != nil || !strings.Contains(out, u.Email) {
				t.Fatalf("%s: %v\n%s", sr.id, err, out)
			}
		})
	}
	if _, err := h.keys.Revoke(t.Context(), keyringActor(u), u.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	for _, sr := range sampleRunners {
		t.Run(sr.id+" with a revoked key", func(t *testing.T) {
			skipUnless(t, sr.id, sr.need)
			out, err := runSample(t, sr.run(dir, filepath.Join(dir, sr.id)), dir, ca, secret)
			if err == nil || strings.Contains(out, u.Email) {
				t.Fatalf("%s succeeded with a revoked key:\n%s", sr.id, out)
			}
		})
	}
}

// skipUnless skips a sample whose interpreter is missing. curl and Go are
// always required, and in CI (CI=true) every interpreter is; Python needs
// requests.
func skipUnless(t *testing.T, id, need string) {
	t.Helper()
	_, err := exec.LookPath(need)
	if need == "python3" && err == nil {
		err = exec.Command("python3", "-c", "import requests").Run()
	}
	if err == nil {
		return
	}
	if need == "curl" || need == "go" || os.Getenv("CI") == "true" {
		t.Fatalf("%s is needed to run the %s sample: %v", need, id, err)
	}
	t.Skipf("%s is not available (%v): not running the %s sample", need, err, id)
}

// runSample runs cmd in dir with the key in the environment and the test
// server's certificate trusted, the way each tool is told to trust a CA.
func runSample(t *testing.T, cmd *exec.Cmd, dir, ca, secret string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Dir = dir
	c.Env = append(os.Environ(), console.EnvVar+"="+secret, "SSL_CERT_FILE="+ca, "CURL_CA_BUNDLE="+ca,
		"REQUESTS_CA_BUNDLE="+ca, "NODE_EXTRA_CA_CERTS="+ca, "GOFLAGS=-mod=mod", "GO111MODULE=on", "GOWORK=off")
	out, err := c.CombinedOutput()
	return string(out), err
}

// writeCA writes the test server's certificate as a PEM file.
func writeCA(t *testing.T, h *harness) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.server.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
