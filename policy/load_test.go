package policy_test

import (
	"os"
	"path/filepath"
	"regexp"
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

// TestBuiltin: only the embedded policies count as built in, however they
// are laid out; one more rule or one less do not.
func TestBuiltin(t *testing.T) {
	def := string(policy.Default())
	stripped := regexp.MustCompile(`(?m)^//.*$`).ReplaceAllString(def, "")
	rules := strings.SplitAfter(strings.TrimSpace(stripped), "};")
	extra := `permit (principal in Role::"reader", action == Action::"read", resource is Post) when { resource.author == User::"7" };`
	tests := []struct {
		name string
		src  []byte
		want bool
	}{
		{"embedded", nil, true},
		{"same text from a file", policy.Default(), true},
		{"comments and blank lines removed", []byte(strings.Join(strings.Fields(stripped), " ")), true},
		{"one more rule", []byte(def + "\n" + extra), false},
		{"a rule left out", []byte(strings.Join(rules[:len(rules)-2], "\n") + rules[len(rules)-1]), false},
		{"one rule changed in place", []byte(strings.Replace(def, `Role::"editor"`, `Role::"author"`, 1)), false},
	}
	for _, tt := range tests {
		a, err := policy.New(policy.Config{Source: tt.src, Name: tt.name})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if a.Builtin() != tt.want {
			t.Errorf("%s: Builtin() = %v, want %v", tt.name, a.Builtin(), tt.want)
		}
	}
}
