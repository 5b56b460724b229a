package main

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
)

// get calls path on s with the given Authorization header value.
func (s *served) get(t *testing.T, path, authorization string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url(path), nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitStatus polls until path answers want, and fails after a second: the
// bound the issue sets for revocation to reach a running server.
func (s *served) waitStatus(t *testing.T, path, authorization string, want int) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		if s.get(t, path, authorization) == want {
			return time.Since(start)
		}
		if time.Since(start) > time.Second {
			t.Fatalf("%s still not %d after %v", path, want, time.Since(start))
		}
		time.Sleep(20 * time.Millisecond) // polling a server from outside: no signal to wait on
	}
}

// TestNewcomerTour follows the README: a service account and a key made
// with the CLI, /api/me with each header form, a revocation with the CLI
// (another store handle on the same SQLite file, as another process would
// be) that the running server honours within a second; and neither the
// logs nor the database files ever hold the key.
func TestNewcomerTour(t *testing.T) {
	getenv, dir := testEnv(t, nil)
	s := startServe(t, getenv, "--log-level", "debug")
	cli := &opCLI{t: t, dir: dir, vars: map[string]string{"GATEHOUSE_DATA_DIR": dir}}
	cli.ok("users", "add", "--service", "ci-bot", "--role", "author")
	key := strings.TrimSpace(cli.ok("keys", "create", "--user", "ci-bot", "--label", "CI deploys", "--scope", "read", "--scope", "write", "--expires", "90d"))

	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("apikey:"+key))
	for _, a := range []string{"apikey " + key, "Bearer " + key, basic} {
		if got := s.get(t, "/api/me", a); got != 200 {
			t.Fatalf("%s...: %d", a[:7], got)
		}
	}
	s.get(t, "/api/me", "apikey "+key[:len(key)-2]+"aa") // a rejected key is audited, never logged
	s.get(t, "/api/me?api_key="+key, "")
	s.get(t, "/api/keys/"+key, "apikey "+key) // a key pasted where an id belongs

	var list []struct{ ID string }
	cli.jsonOf(&list, "keys", "list", "--user", "ci-bot")
	cli.ok("keys", "revoke", "--user", "ci-bot", list[0].ID)
	took := s.waitStatus(t, "/api/me", "apikey "+key, 401)
	t.Logf("CLI revocation reached the running server in %v", took)

	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.stderr.String(), key) || strings.Contains(s.stderr.String(), key[len("gatehouse_")+17:]) {
		t.Error("the server's log holds the key")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "gatehouse.db*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if bytes.Contains(data, []byte(key)) || bytes.Contains(data, []byte(key[len("gatehouse_")+17:])) {
			t.Errorf("%s holds the key", f)
		}
	}
	if !strings.Contains(cli.ok("audit", "--user", "ci-bot"), "key.revoke") {
		t.Error("the audit log lacks the revocation")
	}
}

// TestTwoServersSharePostgres: a revocation made through one server
// reaches another server on the same PostgreSQL database within a second.
func TestTwoServersSharePostgres(t *testing.T) {
	dsn := pgtest.URL(t)
	getenvA, dirA := testEnv(t, map[string]string{"GATEHOUSE_DATABASE": dsn})
	getenvB, _ := testEnv(t, map[string]string{"GATEHOUSE_DATABASE": dsn})
	a, b := startServe(t, getenvA), startServe(t, getenvB)
	cli := &opCLI{t: t, dir: dirA, vars: map[string]string{"GATEHOUSE_DATABASE": dsn}}
	cli.ok("users", "add", "--service", "shared", "--role", "author")
	manager := strings.TrimSpace(cli.ok("keys", "create", "--user", "shared", "--label", "manager", "--scope", "read", "--scope", "keys"))
	key := strings.TrimSpace(cli.ok("keys", "create", "--user", "shared", "--label", "worker", "--scope", "read"))
	for _, s := range []*served{a, b} { // both servers now hold the key in their caches
		if got := s.get(t, "/api/me", "Bearer "+key); got != 200 {
			t.Fatalf("before revocation: %d", got)
		}
	}
	var list []struct{ ID, Label string }
	cli.jsonOf(&list, "keys", "list", "--user", "shared")
	id := ""
	for _, k := range list {
		if k.Label == "worker" {
			id = k.ID
		}
	}
	req, _ := http.NewRequest("POST", a.url("/api/keys/"+id+"/revoke"), nil)
	req.Header.Set("Authorization", "apikey "+manager)
	resp, err := a.client.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke through server A: %v %v", err, resp)
	}
	resp.Body.Close()
	if got := a.get(t, "/api/me", "Bearer "+key); got != 401 {
		t.Errorf("server A after its own revocation: %d", got)
	}
	took := b.waitStatus(t, "/api/me", "Bearer "+key, 401)
	t.Logf("revocation on server A reached server B in %v", took)
}

func TestConfigCheck(t *testing.T) {
	getenv, dir := testEnv(t, nil)
	var out bytes.Buffer
	if err := run(t.Context(), []string{"config", "check"}, getenv, &out, &out); err != nil || !strings.Contains(out.String(), "OK") {
		t.Fatalf("config check: %v %s", err, out.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("config check wrote %d files into the data dir", len(entries))
	}
	bad := filepath.Join(dir, "bad.cedar")
	os.WriteFile(bad, []byte("permit(principal, action, resource) when { resource.nope };"), 0o600)
	err := run(t.Context(), []string{"config", "check", "--policy", bad}, getenv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "bad.cedar") {
		t.Errorf("bad policy: %v", err)
	}
	err = run(t.Context(), []string{"config", "check", "--addr", "nope"}, getenv, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "invalid setting addr") {
		t.Errorf("bad addr: %v", err)
	}
}
