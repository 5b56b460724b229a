package gateway_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/gateway"
)

// sampleRoutes is the route file most tests use.
const sampleRoutes = `# a route file
upstreams:
  billing:
    url: http://127.0.0.1:1
routes:
  - pattern: "GET /healthz"
    access: public
  - pattern: "GET /public/"
    access: public
  - pattern: "GET /public/internal/"
    access: deny
  - pattern: "/api/"
    access: authenticated
  - pattern: "/api/admin/"
    scopes: [admin]
  - pattern: "POST /api/posts/{id}/publish"
    scopes: [write, read]
  - pattern: "billing.example.com/"
    scopes: [billing]
    upstream: billing
`

var opts = gateway.ParseOptions{
	DefaultUpstream: "http://127.0.0.1:9",
	KnownScopes:     gatehouse.NewScopes(append(gatehouse.BuiltinScopes, "billing")...),
}

func mustParse(t testing.TB, src string) *gateway.Table {
	t.Helper()
	tab, err := gateway.ParseRoutes([]byte(src), opts)
	if err != nil {
		t.Fatalf("ParseRoutes: %v", err)
	}
	return tab
}

func TestParseRoutes(t *testing.T) {
	tab := mustParse(t, sampleRoutes)
	if len(tab.Rules) != 7 {
		t.Fatalf("%d rules", len(tab.Rules))
	}
	want := []struct {
		line     int
		access   gateway.Access
		scopes   string
		upstream string
	}{
		{6, gateway.AccessPublic, "", "default"},
		{8, gateway.AccessPublic, "", "default"},
		{10, gateway.AccessDeny, "", "default"},
		{12, gateway.AccessAuthenticated, "", "default"},
		{14, gateway.AccessAuthenticated, "admin", "default"},
		{16, gateway.AccessAuthenticated, "read write", "default"},
		{18, gateway.AccessAuthenticated, "billing", "billing"},
	}
	for i, w := range want {
		r := tab.Rules[i]
		if r.Line != w.line || r.Access != w.access || r.Scopes.String() != w.scopes || r.Upstream != w.upstream {
			t.Errorf("rule %d = line %d %v %q %q, want %+v", i, r.Line, r.Access, r.Scopes, r.Upstream, w)
		}
	}
	if got := tab.Upstreams["default"].URL.String(); got != "http://127.0.0.1:9" {
		t.Errorf("default upstream %s", got)
	}
}

// TestParseRoutesErrors: every mistake is refused at start-up with its line.
func TestParseRoutesErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"unknown key", "routes:\n  - pattern: /a/\n    acess: public\n", "line 3: field acess not found"},
		{"unknown top-level key", "route:\n  - pattern: /a/\n", "line 1: field route not found"},
		{"unknown access", "routes:\n  - pattern: /a/\n    access: pubic\n", `line 2: pattern "/a/": unknown access "pubic"`},
		{"no access", "routes:\n  - pattern: /a/\n", "line 2: pattern \"/a/\": give access"},
		{"no pattern", "routes:\n  - access: public\n", "line 2: a route needs a pattern"},
		{"unknown scope", "routes:\n  - pattern: /a/\n    scopes: [admn]\n", `line 2: pattern "/a/": unknown scope "admn"`},
		{"bad scope name", "routes:\n  - pattern: /a/\n    scopes: [Admin]\n", `"Admin" is not a scope name`},
		{"scopes on public", "routes:\n  - pattern: /a/\n    access: public\n    scopes: [read]\n", "scopes go only with authenticated"},
		{"undefined upstream", "routes:\n  - pattern: /a/\n    access: public\n    upstream: nope\n", `line 2: pattern "/a/": upstream "nope" is not defined`},
		{"reserved prefix", "routes:\n  - pattern: /.gatehouse/health\n    access: public\n", "line 2: pattern \"/.gatehouse/health\": /.gatehouse/ is served by the gateway"},
		{"reserved auth", "routes:\n  - pattern: GET /auth/\n    access: public\n", "/auth/ is served by the gateway"},
		{"reserved auth without slash", "routes:\n  - pattern: /auth\n    access: public\n", "/auth/ is served by the gateway"},
		{"reserved jwks", "routes:\n  - pattern: GET /.well-known/jwks.json\n    access: public\n", "/.well-known/jwks.json is served"},
		{"reserved in other case", "routes:\n  - pattern: /AUTH/x\n    access: public\n", "/auth/ is served"},
		{"host in upper case", "routes:\n  - pattern: Api.example.com/\n    access: public\n", "host in lower case"},
		{"fold case needs lower case", "fold_case: true\nroutes:\n  - pattern: /API/\n    access: public\n", "with fold_case, write paths in lower case"},
		{"not canonical", "routes:\n  - pattern: /a//b\n    access: public\n", "line 2: pattern \"/a//b\": the path is not canonical"},
		{"dot segment", "routes:\n  - pattern: /a/../b\n    access: public\n", "not canonical"},
		{"no path", "routes:\n  - pattern: GET\n    access: public\n", "want [METHOD ][HOST]/PATH"},
		{"conflict", "routes:\n  - pattern: GET /a/{x}\n    access: public\n  - pattern: GET /a/{y}\n    access: deny\n", "line 4: pattern \"GET /a/{y}\" conflicts with pattern \"GET /a/{x}\""},
		{"duplicate", "routes:\n  - pattern: /a/\n    access: public\n  - pattern: /a/\n    access: deny\n", "line 4:"},
		{"bad wildcard", "routes:\n  - pattern: /a/{x\n    access: public\n", "line 2:"},
		{"duplicate key", "routes:\n  - pattern: /a/\n    access: public\n    access: deny\n", "line 4"},
		{"empty", "", "no routes"},
		{"upstream with path", "upstreams:\n  x:\n    url: http://h/base\nroutes:\n  - pattern: /a/\n    access: public\n", "want no path"},
		{"upstream scheme", "upstreams:\n  x:\n    url: ftp://h\nroutes:\n  - pattern: /a/\n    access: public\n", "want an http:// or https:// URL"},
		{"upstream health", "upstreams:\n  x:\n    url: http://h\n    health: healthz\nroutes:\n  - pattern: /a/\n    access: public\n", "not a canonical absolute path"},
		{"default twice", "upstreams:\n  default:\n    url: http://h\nroutes:\n  - pattern: /a/\n    access: public\n", "given both by --upstream and in the file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gateway.ParseRoutes([]byte(tt.src), opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), ".go:") {
				t.Errorf("error is not one clean line: %q", err)
			}
		})
	}
}

func TestParseRoutesWithoutDefaultUpstream(t *testing.T) {
	_, err := gateway.ParseRoutes([]byte("routes:\n  - pattern: /a/\n    access: public\n"), gateway.ParseOptions{})
	if err == nil || !strings.Contains(err.Error(), `upstream "default" is not defined`) {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadRoutesNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "routes.yaml")
	os.WriteFile(path, []byte("routes:\n  - pattern: /a/\n    access: nope\n"), 0o600)
	_, err := gateway.LoadRoutes(path, opts)
	if err == nil || !strings.Contains(err.Error(), path+": line 2:") {
		t.Fatalf("err = %v", err)
	}
	if _, err := gateway.LoadRoutes(filepath.Join(t.TempDir(), "missing.yaml"), opts); err == nil {
		t.Fatal("a missing file was accepted")
	}
}
