package server_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/server"
)

// routeName turns a ServeMux pattern into the description's form:
// "GET /api/keys/{id}" stays, "GET /{$}" becomes "GET /", and
// "{rest...}" becomes "{rest}".
func routeName(pattern string) (string, bool) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || !regexp.MustCompile(`^[A-Z]+$`).MatchString(method) {
		return "", false // the table's pseudo-rows ("/api/ (anything else)")
	}
	path = strings.ReplaceAll(path, "{$}", "")
	path = strings.ReplaceAll(path, "...}", "}")
	return method + " " + path, true
}

// The security schemes: API routes take any credential, console pages
// only a session.
var (
	anyCredential = []string{"apikey", "basic", "bearer", "session"}
	sessionOnly   = []string{"session"}
)

// routeSecurity returns what the description must say of a route with the
// given access: the security schemes it accepts (none: public) and the
// scopes it needs.
func routeSecurity(access, method string) (schemes, scopes []string, err error) {
	page, ok := strings.CutPrefix(access, "console page: ")
	if ok {
		access = strings.Replace(page, "session", "authenticated", 1)
	}
	schemes = anyCredential
	if ok {
		schemes = sessionOnly
	}
	switch {
	case access == "public":
		return nil, nil, nil
	case access == "authenticated":
		return schemes, nil, nil
	case access == "authenticated, scope read (safe methods) or write":
		if method == "GET" || method == "HEAD" || method == "OPTIONS" {
			return schemes, []string{"read"}, nil
		}
		return schemes, []string{"write"}, nil
	case strings.HasPrefix(access, "authenticated, scope "):
		return schemes, []string{strings.TrimPrefix(access, "authenticated, scope ")}, nil
	}
	return nil, nil, fmt.Errorf("access %q is new to this test: teach routeSecurity what the description must say", access)
}

// securitySchemes returns the schemes of o's security requirements, sorted.
func securitySchemes(o operation) []string {
	var out []string
	for _, req := range asSlice(o.op["security"]) {
		for name := range req.(map[string]any) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func TestOpenAPICoversRoutes(t *testing.T) {
	d := loadDoc(t)
	documented := map[string]operation{}
	for _, o := range operations(d) {
		documented[o.String()] = o
	}
	registered := map[string]bool{}
	for _, rt := range server.Routes() {
		name, ok := routeName(rt.Pattern)
		if !ok {
			continue
		}
		registered[name] = true
		o, ok := documented[name]
		if !ok {
			t.Errorf("route %s (%s) is not in the description", rt.Pattern, rt.Access)
			continue
		}
		schemes, scopes, err := routeSecurity(rt.Access, strings.ToUpper(o.method))
		if err != nil {
			t.Error(err)
			continue
		}
		if got := securitySchemes(o); !slices.Equal(got, schemes) {
			t.Errorf("%s: route is %q, so it takes %v; the description says %v", name, rt.Access, schemes, got)
		}
		if got := asSlice(o.op["x-gatehouse-scopes"]); fmt.Sprint(got) != fmt.Sprint(toAny(scopes)) && !(len(got) == 0 && len(scopes) == 0) {
			t.Errorf("%s: route needs scopes %v, description says %v", name, scopes, got)
		}
	}
	for name := range documented {
		if !registered[name] {
			t.Errorf("%s is described but not a route", name)
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
