package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/postgres"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// storeSettings are the settings every subcommand that opens the store has.
type storeSettings struct {
	config   string
	dataDir  string
	database string
}

// register adds --config, --data-dir and --database to fs.
func (s *storeSettings) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&s.config, "config", "", "a YAML `file` of settings (keys are the flag names)")
	fs.StringVar(&s.dataDir, "data-dir", defaultDataDir(getenv), "`directory` for the SQLite database and the development CA")
	fs.StringVar(&s.database, "database", "", "`URL` of the store: sqlite:///path/to/file.db or postgres://... (default sqlite in --data-dir)")
}

func defaultDataDir(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "gatehouse")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "share", "gatehouse")
	}
	return "gatehouse-data"
}

// migrator is a store that can apply its schema migrations.
type migrator interface {
	gatehouse.Store
	blog.PostStore
	Migrate(ctx context.Context) ([]string, error)
}

// databaseURL returns the store URL, defaulting to SQLite in the data dir.
func (s *storeSettings) databaseURL() string {
	if s.database != "" {
		return s.database
	}
	return "sqlite://" + filepath.ToSlash(filepath.Join(s.dataDir, "gatehouse.db"))
}

// validate checks the store settings without opening anything.
func (s *storeSettings) validate() error {
	u := s.databaseURL()
	switch {
	case strings.HasPrefix(u, "sqlite://"):
		if sqlitePath(u) == "" {
			return fmt.Errorf("invalid setting database: %q names no file (want sqlite:///path/to/file.db)", u)
		}
		return nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		if _, err := url.Parse(u); err != nil {
			return fmt.Errorf("invalid setting database: not a URL")
		}
		return nil
	}
	return fmt.Errorf("invalid setting database: want sqlite:///path or postgres://..., got scheme %q", strings.SplitN(u, ":", 2)[0])
}

// sqlitePath returns the file path of a sqlite:// URL ("sqlite:///abs" or
// "sqlite://relative").
func sqlitePath(u string) string {
	return strings.TrimPrefix(u, "sqlite://")
}

// open opens the store. With create, a missing SQLite file (and the data
// directory) is created; without, it is an error.
func (s *storeSettings) open(ctx context.Context, create bool) (migrator, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	u := s.databaseURL()
	if strings.HasPrefix(u, "sqlite://") {
		path := sqlitePath(u)
		if create {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, fmt.Errorf("create data directory: %w", err)
			}
		}
		return sqlite.Open(ctx, path, sqlite.Config{CreateIfMissing: create})
	}
	return postgres.Open(ctx, u, postgres.Config{})
}

// openMigrated opens the store, creating it if needed, and applies pending
// migrations.
func (s *storeSettings) openMigrated(ctx context.Context) (migrator, error) {
	st, err := s.open(ctx, true)
	if err != nil {
		return nil, err
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}
