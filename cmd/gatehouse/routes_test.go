package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestRoutesTable: "gatehouse routes" prints what each route requires,
// with the scope a read-or-write route needs for its method.
func TestRoutesTable(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"routes"}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`GET /healthz\s+public`,
		`GET /api/me\s+authenticated\n`,
		`POST /api/keys\s+authenticated, scope keys`,
		`GET /api/posts/\{id\}\s+authenticated, scope read`,
		`PATCH /api/posts/\{id\}\s+authenticated, scope write`,
		`/api/ \(anything else\)\s+authenticated, then 404`,
	} {
		if !regexp.MustCompile(want).MatchString(out.String()) {
			t.Errorf("routes output lacks %s:\n%s", want, out.String())
		}
	}
}
