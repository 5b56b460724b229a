package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
// (another store handle on the same database, as another process would
// be) that the running server honours within a second; and neither the
// logs nor the database ever hold the key. It runs on a SQLite file and on
// a fresh PostgreSQL schema.
func TestNewcomerTour(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir, key := newcomerTour(t, nil)
		files, _ := filepath.Glob(filepath.Join(dir, "gatehouse.db*"))
		if len(files) == 0 {
			t.Fatal("no database file in the data dir")
		}
		for _, f := range files {
			data, _ := os.ReadFile(f)
			if bytes.Contains(data, []byte(key)) || bytes.Contains(data, []byte(secretPart(key))) {
				t.Errorf("%s holds the key", f)
			}
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.URL(t)
		_, key := newcomerTour(t, map[string]string{"GATEHOUSE_DATABASE": dsn})
		rows := schemaRows(t, dsn)
		if len(rows) == 0 {
			t.Fatal("the schema holds no rows: the tour did not use PostgreSQL")
		}
		for _, row := range rows {
			if strings.Contains(row, key) || strings.Contains(row, secretPart(key)) {
				t.Errorf("a row holds the key: %.40s...", row)
			}
		}
	})
}

// secretPart is the part of a key after its public id.
func secretPart(key string) string { return key[len("gatehouse_")+17:] }

// newcomerTour runs the tour with the extra settings, and returns the data
// dir and the key it made.
func newcomerTour(t *testing.T, extra map[string]string) (dir, key string) {
	getenv, dir := testEnv(t, extra)
	s := startServe(t, getenv, "--log-level", "debug")
	vars := map[string]string{"GATEHOUSE_DATA_DIR": dir}
	for k, v := range extra {
		vars[k] = v
	}
	cli := &opCLI{t: t, dir: dir, vars: vars}
	cli.ok("users", "add", "--service", "ci-bot", "--role", "author")
	key = strings.TrimSpace(cli.ok("keys", "create", "--user", "ci-bot", "--label", "CI deploys", "--scope", "read", "--scope", "write", "--expires", "90d"))

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
	if strings.Contains(s.stderr.String(), key) || strings.Contains(s.stderr.String(), secretPart(key)) {
		t.Error("the server's log holds the key")
	}
	if !strings.Contains(cli.ok("audit", "--user", "ci-bot"), "key.revoke") {
		t.Error("the audit log lacks the revocation")
	}
	return dir, key
}

// schemaRows returns every row of every table in the schema that dsn's
// search_path names, as text.
func schemaRows(t *testing.T, dsn string) []string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tables := queryStrings(t, conn, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
	var out []string
	for _, tbl := range tables {
		out = append(out, queryStrings(t, conn, "SELECT t::text FROM "+pgx.Identifier{tbl}.Sanitize()+" t")...)
	}
	return out
}

// queryStrings runs a query of one text column and returns its values.
func queryStrings(t *testing.T, conn *pgx.Conn, sql string) []string {
	t.Helper()
	rows, err := conn.Query(t.Context(), sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
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
