package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/policy"
)

// TestPolicyCheck: "gatehouse policy check FILE" prints FILE: OK for a
// valid policy, and for an invalid one fails with exit status 1 and an
// error naming file:line:column and the reason, printing nothing on stdout.
func TestPolicyCheck(t *testing.T) {
	extra := "\npermit (principal in Role::\"reader\", action == Action::\"read\", resource is Post)\nwhen { resource.author == User::\"7\" };\n"
	tests := []struct {
		name, src string
		want      []string // in the error; none means the file is valid
	}{
		{"the embedded policy", string(policy.Default()), nil},
		{"the embedded policy and one more rule", string(policy.Default()) + extra, nil},
		{"syntax error", "permit (principal, action, resource)\n  when { resource.status == };", []string{"bad.cedar:2:30:", "invalid primary"}},
		{"unknown attribute", "permit (principal, action, resource is Post)\nwhen { resource.title == \"x\" };", []string{"bad.cedar:1:1:", "attribute `title`"}},
		{"bad second rule", string(policy.Default()) + "\n\npermit (principal, action == Action::\"frob\", resource);", []string{"bad.cedar:28:1:", "unrecognized action"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cli := newOpCLI(t)
			file := filepath.Join(t.TempDir(), "bad.cedar")
			if err := os.WriteFile(file, []byte(tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			out, _, err := cli.run("policy", "check", file)
			if tt.want == nil {
				if err != nil || out != file+": OK\n" {
					t.Fatalf("valid policy: %v, stdout %q", err, out)
				}
				return
			}
			if err == nil || exitCode(err) != 1 || out != "" {
				t.Fatalf("invalid policy: err %v (exit %d), stdout %q", err, exitCode(err), out)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestPolicyCheckUsage: a missing file is an error and a missing argument
// a usage error (exit status 2).
func TestPolicyCheckUsage(t *testing.T) {
	cli := newOpCLI(t)
	missing := filepath.Join(t.TempDir(), "missing.cedar")
	if err := cli.fails("missing.cedar", "policy", "check", missing); exitCode(err) != 1 {
		t.Errorf("missing file: exit %d", exitCode(err))
	}
	for _, args := range [][]string{{"policy", "check"}, {"policy", "lint", missing}} {
		if err := cli.fails("usage: gatehouse policy check FILE", args...); !isUsageError(err) {
			t.Errorf("%v: exit %d, want 2", args, exitCode(err))
		}
	}
}
