package main

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

func TestAuditFilters(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--service", "a", "--role", "author")
	c.ok("users", "add", "--service", "b", "--role", "author")
	c.ok("keys", "create", "--user", "a", "--label", "ka", "--scope", "read")
	c.ok("keys", "create", "--user", "b", "--label", "kb", "--scope", "read")
	var keys []keyring.KeyView
	c.jsonOf(&keys, "keys", "list", "--user", "b")
	kb := keys[0].ID

	count := func(args ...string) int {
		var ev []auditView
		c.jsonOf(&ev, append([]string{"audit"}, args...)...)
		return len(ev)
	}
	tomorrow := time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		args []string
		want int
	}{
		{nil, 4},
		{[]string{"--user", "b"}, 2},
		{[]string{"--user", "1"}, 2},
		{[]string{"--key", kb}, 1},
		{[]string{"--limit", "3"}, 3},
		{[]string{"--since", "1h"}, 4},
		{[]string{"--since", "7d"}, 4},
		{[]string{"--since", tomorrow}, 0},
		{[]string{"--since", "2000-01-01"}, 4},
	}
	for _, tt := range tests {
		if got := count(tt.args...); got != tt.want {
			t.Errorf("audit %v: %d events, want %d", tt.args, got, tt.want)
		}
	}
	table := c.ok("audit", "--user", "b")
	for _, s := range []string{"key.create", "user.create", "operator", kb, `label "kb"`} {
		if !strings.Contains(table, s) {
			t.Errorf("audit table lacks %q:\n%s", s, table)
		}
	}
	var ev []auditView
	c.jsonOf(&ev, "audit", "--key", kb)
	if ev[0].Action != gatehouse.ActionKeyCreate || ev[0].KeyPrefix == "" || ev[0].UserID != 2 {
		t.Errorf("audit --key %+v", ev[0])
	}
}

func TestAuditRefused(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--service", "a", "--role", "author")
	for _, tt := range []struct {
		want  string
		args  []string
		usage bool
	}{
		{"--limit", []string{"--limit", "0"}, true},
		{"--limit", []string{"--limit", "10001"}, true},
		{"--since", []string{"--since", "yesterday"}, true},
		{"not a key id", []string{"--key", "nope"}, true},
		{`no service account named "zed"`, []string{"--user", "zed"}, false},
		{"unexpected argument", []string{"extra"}, true},
	} {
		err := c.fails(tt.want, append([]string{"audit"}, tt.args...)...)
		if isUsageError(err) != tt.usage {
			t.Errorf("audit %v: exit status %d", tt.args, exitCode(err))
		}
	}
}
