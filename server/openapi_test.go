package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/server"
)

// loadDoc returns the description as the server serves it.
func loadDoc(t *testing.T) doc {
	t.Helper()
	b, err := server.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var d doc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("the description is not JSON: %v", err)
	}
	return d
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// operation is one method of one path of the description.
type operation struct {
	method, path string
	pathItem, op map[string]any
}

func (o operation) String() string { return strings.ToUpper(o.method) + " " + o.path }

func operations(d doc) []operation {
	paths, _ := d["paths"].(map[string]any)
	var out []operation
	for p, item := range paths {
		pi, _ := item.(map[string]any)
		for _, m := range methods {
			if op, ok := pi[m].(map[string]any); ok {
				out = append(out, operation{m, p, pi, op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func TestOpenAPIServed(t *testing.T) {
	h := newHarness(t)
	want, err := server.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	first := h.do("GET", "/openapi.json", "")
	if first.status != 200 || !bytes.Equal(first.body, want) {
		t.Fatalf("GET /openapi.json: %d, %d bytes; want 200 and the description", first.status, len(first.body))
	}
	if mt, _, _ := mime.ParseMediaType(first.header.Get("Content-Type")); mt != "application/json" {
		t.Errorf("content type %q", first.header.Get("Content-Type"))
	}
	etag := first.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	_, key := h.keyFor(gatehouse.RoleReader)
	for _, tc := range []struct {
		name   string
		method string
		hdr    []string
		status int
	}{
		{"anonymous", "GET", nil, 200},
		{"with a key", "GET", key, 200},
		{"revalidated", "GET", []string{"If-None-Match", etag}, 304},
		{"stale copy", "GET", []string{"If-None-Match", `"other"`}, 200},
		{"HEAD", "HEAD", nil, 200},
		{"no POST", "POST", nil, 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := h.do(tc.method, "/openapi.json", "", tc.hdr...); r.status != tc.status {
				t.Errorf("%d, want %d", r.status, tc.status)
			}
		})
	}
}

// keyFor makes a user with the role and a read key, for tests that need
// any valid key.
func (h *harness) keyFor(role gatehouse.Role) (string, []string) {
	u := h.user("any-"+string(role), role)
	secret, _ := h.key(u, "any", "read")
	return secret, auth(secret)
}

func TestOpenAPIDocument(t *testing.T) {
	d := loadDoc(t)
	for _, tc := range []struct {
		name  string
		check func(doc) []string
	}{
		{"version 3.1", checkVersion},
		{"references resolve", checkRefs},
		{"operations are complete", checkOperations},
		{"path parameters match the templates", checkPathParams},
		{"security names known schemes and the scopes", checkSecurity},
		{"schemas use only checked keywords, JSON ones are closed", checkSchemas},
		{"examples fit their schemas", checkExamples},
		{"request examples are all executed", checkBodiesUsed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, e := range tc.check(d) {
				t.Error(e)
			}
		})
	}
}

func checkVersion(d doc) []string {
	v, _ := d["openapi"].(string)
	info, _ := d["info"].(map[string]any)
	var errs []string
	if !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		errs = append(errs, fmt.Sprintf("openapi %q, want 3.1.x", v))
	}
	if info["title"] == nil || info["version"] == nil {
		errs = append(errs, "info needs a title and a version")
	}
	return errs
}

func checkRefs(d doc) []string {
	var errs []string
	walk(map[string]any(d), "#", func(m map[string]any, at string) {
		if ref, ok := m["$ref"]; ok {
			s, _ := ref.(string)
			if _, err := d.resolve(s); err != nil {
				errs = append(errs, at+": "+err.Error())
			}
		}
	})
	return errs
}

func checkOperations(d doc) []string {
	var errs []string
	ids := map[string]string{}
	for _, o := range operations(d) {
		id, _ := o.op["operationId"].(string)
		if prev, dup := ids[id]; id == "" || dup {
			errs = append(errs, fmt.Sprintf("%s: operationId %q missing or also used by %s", o, id, prev))
		}
		ids[id] = o.String()
		if rs, _ := o.op["responses"].(map[string]any); len(rs) == 0 {
			errs = append(errs, fmt.Sprintf("%s: no responses", o))
		}
		if _, ok := o.op["security"]; !ok {
			errs = append(errs, fmt.Sprintf("%s: no security (public routes say security: [])", o))
		}
		exs, err := examplesOf(o)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", o, err))
		}
		if !slices.ContainsFunc(exs, func(e example) bool { return e.Status < 400 }) {
			errs = append(errs, fmt.Sprintf("%s: no executed example of success", o))
		}
	}
	return errs
}

var templateVar = regexp.MustCompile(`\{([^}]+)\}`)

func checkPathParams(d doc) []string {
	var errs []string
	for _, o := range operations(d) {
		declared := map[string]bool{}
		for _, src := range []map[string]any{o.pathItem, o.op} {
			for _, p := range asSlice(src["parameters"]) {
				pm, err := d.deref(p)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%s: %v", o, err))
					continue
				}
				if pm["in"] == "path" {
					declared[pm["name"].(string)] = true
					if pm["required"] != true {
						errs = append(errs, fmt.Sprintf("%s: path parameter %v must be required", o, pm["name"]))
					}
				}
			}
		}
		for _, m := range templateVar.FindAllStringSubmatch(o.path, -1) {
			if !declared[m[1]] {
				errs = append(errs, fmt.Sprintf("%s: {%s} is not declared", o, m[1]))
			}
			delete(declared, m[1])
		}
		for name := range declared {
			errs = append(errs, fmt.Sprintf("%s: parameter %s is not in the path", o, name))
		}
	}
	return errs
}

// checkSecurity checks that requirements name known schemes, and that
// every requirement lists the scopes of x-gatehouse-scopes.
func checkSecurity(d doc) []string {
	comps, _ := d["components"].(map[string]any)
	schemes, _ := comps["securitySchemes"].(map[string]any)
	var errs []string
	for _, o := range operations(d) {
		scopes := asSlice(o.op["x-gatehouse-scopes"])
		for _, req := range asSlice(o.op["security"]) {
			for name, sc := range req.(map[string]any) {
				if _, ok := schemes[name]; !ok {
					errs = append(errs, fmt.Sprintf("%s: unknown security scheme %q", o, name))
				}
				if !slices.Equal(asSlice(sc), scopes) && !(len(asSlice(sc)) == 0 && len(scopes) == 0) {
					errs = append(errs, fmt.Sprintf("%s: %s needs %v, x-gatehouse-scopes says %v", o, name, sc, scopes))
				}
			}
		}
	}
	return errs
}

func checkSchemas(d doc) []string {
	var errs []string
	walk(map[string]any(d), "#", func(m map[string]any, at string) {
		if strings.Contains(at, "/x-gatehouse-") || strings.HasSuffix(at, "/examples") {
			return
		}
		if s, ok := m["schema"]; ok {
			errs = append(errs, lint(s, at+"/schema")...)
			if strings.HasSuffix(at, "/application~1json") || strings.HasSuffix(at, "/application~1problem+json") {
				errs = append(errs, d.strict(s, at+"/schema", map[string]bool{})...)
			}
		}
		if at == "#/components/schemas" {
			for k, s := range m {
				errs = append(errs, lint(s, at+"/"+k)...)
			}
		}
	})
	return errs
}

// checkExamples validates every example of a media type or parameter
// against its schema.
func checkExamples(d doc) []string {
	var errs []string
	walk(map[string]any(d), "#", func(m map[string]any, at string) {
		s, ok := m["schema"]
		if !ok {
			return
		}
		if e, ok := m["example"]; ok {
			errs = append(errs, d.validate(s, e, at+"/example")...)
		}
		exs, _ := m["examples"].(map[string]any)
		for name, e := range exs {
			em, err := d.deref(e)
			if err != nil {
				errs = append(errs, at+": "+err.Error())
				continue
			}
			got := d.validate(s, em["value"], at+"/examples/"+name)
			if em["x-gatehouse-invalid"] == true {
				if len(got) == 0 {
					errs = append(errs, fmt.Sprintf("%s/examples/%s: marked invalid, but fits the schema", at, name))
				}
				continue
			}
			errs = append(errs, got...)
		}
	})
	return errs
}

// checkBodiesUsed checks that every request body example is one that
// x-gatehouse-examples sends.
func checkBodiesUsed(d doc) []string {
	var errs []string
	for _, o := range operations(d) {
		used := map[string]bool{}
		exs, _ := examplesOf(o) // checkOperations reports errors
		for _, e := range exs {
			used[e.Body] = true
		}
		for name := range bodyExamples(d, o) {
			if !used[name] {
				errs = append(errs, fmt.Sprintf("%s: request example %q is never sent", o, name))
			}
		}
	}
	return errs
}

// bodyMedia are the request body media types examples may use.
var bodyMedia = []string{"application/json", "application/x-www-form-urlencoded"}

// bodyExamples returns the request body examples of o, by name.
func bodyExamples(d doc, o operation) map[string]any {
	out := map[string]any{}
	rb, err := d.deref(o.op["requestBody"])
	if err != nil {
		return out
	}
	content, _ := rb["content"].(map[string]any)
	for _, mt := range bodyMedia {
		m, _ := content[mt].(map[string]any)
		exs, _ := m["examples"].(map[string]any)
		maps.Copy(out, exs)
	}
	return out
}

// bodyExample returns the value of o's request body example name and its
// media type.
func bodyExample(d doc, o operation, name string) (any, string, bool) {
	rb, err := d.deref(o.op["requestBody"])
	if err != nil {
		return nil, "", false
	}
	content, _ := rb["content"].(map[string]any)
	for _, mt := range bodyMedia {
		m, _ := content[mt].(map[string]any)
		exs, _ := m["examples"].(map[string]any)
		if ex, ok := exs[name]; ok {
			em, err := d.deref(ex)
			return em["value"], mt, err == nil
		}
	}
	return nil, "", false
}
