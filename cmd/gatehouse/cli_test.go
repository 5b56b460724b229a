package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// opCLI runs the operator commands against a data directory of its own.
type opCLI struct {
	t    *testing.T
	dir  string
	vars map[string]string
}

func newOpCLI(t *testing.T) *opCLI {
	t.Helper()
	dir := t.TempDir()
	return &opCLI{t: t, dir: dir, vars: map[string]string{"GATEHOUSE_DATA_DIR": dir}}
}

// dbPath is where the commands keep the SQLite database.
func (c *opCLI) dbPath() string { return filepath.Join(c.dir, "gatehouse.db") }

// run runs "gatehouse args..." and returns its output.
func (c *opCLI) run(args ...string) (stdout, stderr string, err error) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return c.vars[k] }
	err = run(context.Background(), args, getenv, &out, &errOut)
	return out.String(), errOut.String(), err
}

// ok runs a command that must succeed and returns its stdout.
func (c *opCLI) ok(args ...string) string {
	c.t.Helper()
	out, errOut, err := c.run(args...)
	if err != nil {
		c.t.Fatalf("gatehouse %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// fails runs a command that must fail with a message containing want; it
// returns the error.
func (c *opCLI) fails(want string, args ...string) error {
	c.t.Helper()
	out, errOut, err := c.run(args...)
	if err == nil {
		c.t.Fatalf("gatehouse %s succeeded, want an error containing %q\nstdout: %s", strings.Join(args, " "), want, out)
	}
	if !strings.Contains(err.Error(), want) {
		c.t.Errorf("gatehouse %s: error %q, want it to contain %q\nstderr: %s", strings.Join(args, " "), err, want, errOut)
	}
	return err
}

// jsonOf runs a command with --json and decodes its output into v.
func (c *opCLI) jsonOf(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("gatehouse %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// state is what a refused command must leave unchanged: every user, the
// keys of the given users and the audit log.
func (c *opCLI) state(users ...string) map[string]any {
	c.t.Helper()
	s := map[string]any{}
	var all, audit []map[string]any
	c.jsonOf(&all, "users", "list")
	c.jsonOf(&audit, "audit", "--limit", "10000")
	s["users"], s["audit"] = all, audit
	for _, u := range users {
		var keys []map[string]any
		c.jsonOf(&keys, "keys", "list", "--user", u)
		s["keys of "+u] = keys
	}
	return s
}

// unchanged fails the test when the state differs from before.
func (c *opCLI) unchanged(name string, before map[string]any, users ...string) {
	c.t.Helper()
	if after := c.state(users...); !reflect.DeepEqual(before, after) {
		c.t.Errorf("%s changed the state:\nbefore %v\nafter  %v", name, before, after)
	}
}

// isUsageError reports whether err makes the command exit with status 2.
func isUsageError(err error) bool {
	return exitCode(err) == 2 && !errors.Is(err, flag.ErrHelp)
}
