package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/pgtest"
)

// TestMigrate: "gatehouse migrate" on a new store applies every migration
// of the backend's migrations directory, in order, one line each; run
// again, it applies nothing and says the schema is up to date.
func TestMigrate(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		getenv, dir := testEnv(t, nil)
		testMigrate(t, getenv, "../../sqlite/migrations")
		if _, err := os.Stat(filepath.Join(dir, "gatehouse.db")); err != nil {
			t.Errorf("no database in the data dir: %v", err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		getenv, _ := testEnv(t, map[string]string{"GATEHOUSE_DATABASE": pgtest.URL(t)})
		testMigrate(t, getenv, "../../postgres/migrations")
	})
}

func testMigrate(t *testing.T, getenv func(string) string, migrations string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(migrations, "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations in %s: %v", migrations, err)
	}
	var want strings.Builder
	for _, f := range files { // Glob sorts, and the names are numbered
		want.WriteString("applied " + strings.TrimSuffix(filepath.Base(f), ".sql") + "\n")
	}
	migrate := func() string {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"migrate"}, getenv, &out, &errOut); err != nil {
			t.Fatalf("migrate: %v\n%s", err, errOut.String())
		}
		return out.String()
	}
	if got := migrate(); got != want.String() {
		t.Errorf("first run printed %q, want %q", got, want.String())
	}
	if got := migrate(); got != "the schema is up to date\n" {
		t.Errorf("second run printed %q, want the schema is up to date", got)
	}
}

// TestVersion: "gatehouse version" prints one line, "gatehouse " and the
// version: the one set at build time when there is one.
func TestVersion(t *testing.T) {
	printVersion := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, &out, &out); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	got := printVersion()
	if !strings.HasPrefix(got, "gatehouse ") || strings.Count(got, "\n") != 1 || len(strings.TrimSpace(got)) <= len("gatehouse") {
		t.Errorf("version printed %q, want one line gatehouse VERSION", got)
	}
	setVersion(t, "v1.2.3")
	if got := printVersion(); got != "gatehouse v1.2.3\n" {
		t.Errorf("with -X main.version=v1.2.3: %q", got)
	}
}

// setVersion sets what -ldflags "-X main.version=…" would, until t ends.
func setVersion(t *testing.T, v string) {
	old := version
	version = v
	t.Cleanup(func() { version = old })
}
