package policy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/policy"
)

func TestDefaultPolicyChecks(t *testing.T) {
	if err := policy.Check(policy.Default(), policy.DefaultName); err != nil {
		t.Fatal(err)
	}
	// The file in the repository is the one embedded.
	b, err := os.ReadFile(filepath.Join(".", policy.DefaultName))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(policy.Default()) {
		t.Error("Default() differs from blog.cedar")
	}
}

// TestCheckRefuses: a policy that does not parse or does not fit the
// schema is refused with file:line:column and the reason.
func TestCheckRefuses(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"syntax error", "permit (principal, action, resource)\n  when { resource.status == };", []string{"bad.cedar:2:", "invalid primary"}},
		{"missing semicolon", "permit (principal, action, resource)", []string{"bad.cedar:1:"}},
		{"unknown attribute", "permit (principal, action, resource is Post)\nwhen { resource.title == \"x\" };", []string{"bad.cedar:1:1:", "attribute `title`"}},
		{"wrong type", "\n\nforbid (principal, action, resource is Post)\nwhen { resource.status > 3 };", []string{"bad.cedar:3:1:", "expected Long"}},
		{"unknown action", "permit (principal, action == Action::\"frob\", resource);", []string{"bad.cedar:1:1:", "unrecognized action"}},
		{"unknown entity type", "permit (principal is Admin, action, resource);", []string{"bad.cedar:1:1:", "Admin"}},
		{"optional attribute on anonymous", "permit (principal, action, resource)\nwhen { principal.role == \"editor\" };", []string{"bad.cedar:1:1:"}},
		{"second policy bad", string(policy.Default()) + "\npermit (principal, action, resource is Post) when { resource.owner == principal };", []string{"bad.cedar:", "attribute `owner`"}},
		{"empty file", "", []string{"bad.cedar", "no policies"}},
		{"only a comment", "// nothing\n", []string{"bad.cedar", "no policies"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := policy.Check([]byte(tt.src), "bad.cedar")
			if err == nil {
				t.Fatal("Check accepted the policy")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestSchemaIsExported(t *testing.T) {
	if !strings.Contains(string(policy.Schema()), "entity Post") {
		t.Errorf("Schema() = %q", policy.Schema())
	}
}
