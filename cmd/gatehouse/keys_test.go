package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

// TestOperatorWalkthrough follows an operator from a new service account
// to a revoked key, through the same entry point as the binary.
func TestOperatorWalkthrough(t *testing.T) {
	walkthrough(t, newOpCLI(t))
}

// TestOperatorWalkthroughPostgres is the walkthrough on PostgreSQL, named
// by --database as an operator would.
func TestOperatorWalkthroughPostgres(t *testing.T) {
	c := newOpCLI(t)
	c.vars["GATEHOUSE_DATABASE"] = pgtest.URL(t)
	walkthrough(t, c)
	if _, err := os.Stat(c.dbPath()); !os.IsNotExist(err) {
		t.Errorf("a SQLite database was made instead: %v", err)
	}
}

func walkthrough(t *testing.T, c *opCLI) {
	c.ok("users", "add", "--service", "ci-bot", "--role", "author")

	out, errOut, err := c.run("keys", "create", "--user", "ci-bot", "--label", "deploy", "--scope", "read", "--scope", "write", "--expires", "90d")
	if err != nil {
		t.Fatal(err, errOut)
	}
	secret := strings.TrimSuffix(out, "\n")
	key, err := apikey.Parse(secret)
	if err != nil || strings.Contains(secret, "\n") {
		t.Fatalf("stdout %q is not the key alone: %v", out, err)
	}
	if !strings.Contains(errOut, keyring.Warning) || !strings.Contains(errOut, key.ID) || !strings.Contains(errOut, key.DisplayPrefix()) {
		t.Errorf("stderr lacks the warning, id or prefix: %s", errOut)
	}

	list := c.ok("keys", "list", "--user", "ci-bot")
	for _, s := range []string{key.ID, "deploy", "read,write", "active", "never"} {
		if !strings.Contains(list, s) {
			t.Errorf("keys list does not show %q:\n%s", s, list)
		}
	}
	var views []keyring.KeyView
	c.jsonOf(&views, "keys", "list", "--user", "ci-bot")
	if len(views) != 1 || views[0].ID != key.ID || views[0].Expires.IsZero() {
		t.Errorf("keys list --json: %+v", views)
	}

	rolledOut, _, err := c.run("keys", "roll", "--user", "ci-bot", key.ID)
	if err != nil {
		t.Fatal(err)
	}
	rolled, err := apikey.Parse(strings.TrimSpace(rolledOut))
	if err != nil || rolled.ID != key.ID || rolled.String() == secret {
		t.Fatalf("roll printed %q (%v), want a new key with id %s", rolledOut, err, key.ID)
	}

	c.ok("keys", "revoke", "--user", "ci-bot", key.ID)
	c.jsonOf(&views, "keys", "list", "--user", "ci-bot")
	if views[0].Status != gatehouse.StatusRevoked {
		t.Errorf("status after revoke: %s", views[0].Status)
	}

	var audit []auditView
	c.jsonOf(&audit, "audit", "--key", key.ID)
	var actions []string
	for _, a := range audit {
		actions = append(actions, string(a.Action))
	}
	if got := strings.Join(actions, " "); got != "key.revoke key.roll key.create" {
		t.Errorf("audit of the key: %s", got)
	}

	c.ok("users", "set-role", "ci-bot", "reader")
	if u := c.user("ci-bot"); u.Role != gatehouse.RoleReader {
		t.Errorf("role after set-role: %s", u.Role)
	}

	// No command ever shows a secret again.
	for _, args := range [][]string{{"keys", "list", "--user", "ci-bot"}, {"keys", "list", "--user", "ci-bot", "--json"}, {"audit"}, {"audit", "--json"}} {
		out := c.ok(args...)
		if strings.Contains(out, secret) || strings.Contains(out, rolled.String()) {
			t.Errorf("%v shows a secret", args)
		}
	}
}

func TestKeysRefused(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--service", "ci", "--role", "author")
	c.ok("users", "add", "--service", "other", "--role", "author")
	c.ok("users", "add", "--service", "off", "--role", "admin")
	c.ok("users", "disable", "off")
	c.ok("keys", "create", "--user", "ci", "--label", "taken", "--scope", "read")
	var views []keyring.KeyView
	c.jsonOf(&views, "keys", "list", "--user", "ci")
	ciKey := views[0].ID
	c.ok("keys", "create", "--user", "other", "--label", "revoked", "--scope", "read")
	c.jsonOf(&views, "keys", "list", "--user", "other")
	otherKey := views[0].ID
	c.ok("keys", "revoke", "--user", "other", otherKey)

	tests := []struct {
		name string
		want string
		args []string
	}{
		{"unknown user", `no service account named "nobody"`, []string{"create", "--user", "nobody", "--label", "x", "--scope", "read"}},
		{"no user", "--user is required", []string{"create", "--label", "x", "--scope", "read"}},
		{"duplicate label", `a key labelled "taken" already exists`, []string{"create", "--user", "ci", "--label", "taken", "--scope", "read"}},
		{"unknown scope", `unknown scope "root"`, []string{"create", "--user", "ci", "--label", "x", "--scope", "read,root"}},
		{"no scope", "at least one scope", []string{"create", "--user", "ci", "--label", "x"}},
		{"no label", "needs a label", []string{"create", "--user", "ci", "--scope", "read"}},
		{"scope above role", `does not allow the scope "admin"`, []string{"create", "--user", "ci", "--label", "x", "--scope", "admin"}},
		{"disabled owner", "disabled", []string{"create", "--user", "off", "--label", "x", "--scope", "read"}},
		{"bad expiry", "not a duration", []string{"create", "--user", "ci", "--label", "x", "--scope", "read", "--expires", "soon"}},
		{"past expiry", "in the future", []string{"create", "--user", "ci", "--label", "x", "--scope", "read", "--expires", "2020-01-01"}},
		{"control character", "control", []string{"create", "--user", "ci", "--label", "a\x1b[2Jb", "--scope", "read"}},
		{"another user's key", "No such API key.", []string{"revoke", "--user", "ci", otherKey}},
		{"unknown key", "No such API key.", []string{"delete", "--user", "ci", "aaaaaaaaaaaaaaaa"}},
		{"malformed key id", "No such API key.", []string{"roll", "--user", "ci", "../etc"}},
		{"revoked twice", "already revoked", []string{"revoke", "--user", "other", otherKey}},
		{"roll revoked", "revoked key cannot be rolled", []string{"roll", "--user", "other", otherKey}},
		{"grace too long", "grace period", []string{"roll", "--user", "ci", "--grace", "8d", ciKey}},
		{"bad grace", "not a duration", []string{"roll", "--user", "ci", "--grace", "a while", ciKey}},
		{"no key id", "missing ID", []string{"revoke", "--user", "ci"}},
		{"two key ids", "unexpected argument", []string{"revoke", "--user", "ci", ciKey, ciKey}},
	}
	for _, tt := range tests {
		before := c.state("ci", "other", "off")
		c.fails(tt.want, append([]string{"keys"}, tt.args...)...)
		c.unchanged(tt.name, before, "ci", "other", "off")
	}
}

// TestKeysFlagsAnywhere: flags may follow the key id, and "--" ends them.
func TestKeysFlagsAnywhere(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--service", "ci", "--role", "author")
	for i, order := range [][]string{
		{"revoke", "ID", "--user", "ci"},
		{"revoke", "--user=ci", "ID"},
		{"revoke", "--user", "ci", "--", "ID"},
		{"delete", "ID", "--user", "ci"},
	} {
		label := "k" + string(rune('a'+i))
		c.ok("keys", "create", "--user", "ci", "--label", label, "--scope", "read")
		var views []keyring.KeyView
		c.jsonOf(&views, "keys", "list", "--user", "ci")
		args := []string{"keys"}
		for _, a := range order {
			args = append(args, strings.ReplaceAll(a, "ID", views[0].ID))
		}
		c.ok(args...)
	}
}

// TestKeysCommandFlagsIgnoreEnvironment: a variable such as GATEHOUSE_USER
// never picks the user or the scopes of a command.
func TestKeysCommandFlagsIgnoreEnvironment(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--service", "ci", "--role", "admin")
	c.vars["GATEHOUSE_USER"] = "ci"
	c.vars["GATEHOUSE_LABEL"] = "from-env"
	err := c.fails("--user is required", "keys", "create", "--scope", "read")
	if !isUsageError(err) {
		t.Errorf("error %v does not exit with status 2", err)
	}
}

// TestKeysDeploymentScopes: the deployment's own scopes come from the
// same setting serve reads (GATEHOUSE_SCOPE, or the config file).
func TestKeysDeploymentScopes(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--service", "blog", "--role", "reader")
	c.fails(`unknown scope "blog.posts:write"`, "keys", "create", "--user", "blog", "--label", "a", "--scope", "blog.posts:write")
	c.vars["GATEHOUSE_SCOPE"] = "blog.posts:write,blog.posts:read"
	c.ok("keys", "create", "--user", "blog", "--label", "a", "--scope", "blog.posts:write")
}

// TestKeysSharedConfigFile: the operator commands read the same config
// file as serve, serve-only settings included.
func TestKeysSharedConfigFile(t *testing.T) {
	c := newOpCLI(t)
	file := filepath.Join(t.TempDir(), "gatehouse.yaml")
	yaml := "data-dir: " + c.dir + "\naddr: ':9443'\nscope: [blog.posts:write]\nkey-idle-expiry: 720h\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c.vars = map[string]string{"GATEHOUSE_CONFIG": file}
	c.ok("users", "add", "--service", "blog", "--role", "reader")
	c.ok("keys", "create", "--user", "blog", "--label", "a", "--scope", "blog.posts:write")
	if _, err := os.Stat(c.dbPath()); err != nil {
		t.Errorf("the config file's data-dir was not used: %v", err)
	}
}

func TestKeysJSON(t *testing.T) {
	c := newOpCLI(t)
	c.ok("users", "add", "--email", "ada@example.com", "--role", "editor")
	var created keyring.CreatedView
	c.jsonOf(&created, "keys", "create", "--user", "ada@example.com", "--label", "laptop", "--scope", "read", "--expires", "12h")
	if _, err := apikey.Parse(created.Key); err != nil || created.Warning != keyring.Warning || created.Label != "laptop" || created.Expires.IsZero() {
		t.Fatalf("create --json: %+v (%v)", created, err)
	}
	var rolled keyring.CreatedView
	c.jsonOf(&rolled, "keys", "roll", "--user", "1", "--grace", "1h", created.ID)
	if rolled.ID != created.ID || rolled.Key == created.Key || rolled.PreviousValidUntil.IsZero() {
		t.Errorf("roll --json: %+v", rolled)
	}
	var revoked keyring.KeyView
	c.jsonOf(&revoked, "keys", "revoke", "--user", "ada@example.com", created.ID)
	if revoked.Status != gatehouse.StatusRevoked || revoked.Revoked.IsZero() {
		t.Errorf("revoke --json: %+v", revoked)
	}
}

func TestKeysHelp(t *testing.T) {
	c := newOpCLI(t)
	for _, sub := range []string{"create", "list", "revoke", "delete", "roll"} {
		out, _, err := c.run("keys", sub, "--help")
		if exitCode(err) != 2 || !strings.Contains(out, "usage: gatehouse keys "+sub) || !strings.Contains(out, "-user") {
			t.Errorf("keys %s --help: %v\n%s", sub, err, out)
		}
	}
	if out := c.ok("keys", "help"); !strings.Contains(out, "create|list|revoke|delete|roll") {
		t.Errorf("keys help: %s", out)
	}
	if err := c.fails("unknown subcommand", "keys", "rotate"); !isUsageError(err) {
		t.Errorf("unknown subcommand: %v", err)
	}
}
