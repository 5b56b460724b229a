package sqlite_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/sqlite"
)

func TestOpenNotADatabase(t *testing.T) {
	cases := []struct {
		name string
		data []byte
	}{
		{"text", []byte("this is not a database\n")},
		{"random text", []byte(rand.Text() + rand.Text())},
		{"short", []byte("SQLite form")},
		{"wrong header", append([]byte("SQLite format 2\x00"), make([]byte, 4080)...)},
		{"right header, junk after", append([]byte("SQLite format 3\x00"), bytes.Repeat([]byte{0xa5}, 4080)...)},
	}
	for _, c := range cases {
		for _, create := range []bool{false, true} {
			t.Run(c.name, func(t *testing.T) {
				path := tempPath(t)
				if err := os.WriteFile(path, c.data, 0o600); err != nil {
					t.Fatal(err)
				}
				s, err := sqlite.Open(t.Context(), path, sqlite.Config{CreateIfMissing: create})
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded on a file that is not a database")
				}
				want := "sqlite: " + path + " is not a Gatehouse database: file is not a database"
				if !errors.Is(err, sqlite.ErrNotDatabase) || err.Error() != want {
					t.Errorf("Open error = %q, want %q", err, want)
				}
				if got, _ := os.ReadFile(path); !bytes.Equal(got, c.data) {
					t.Errorf("Open changed the file")
				}
				if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
					t.Errorf("Open left files beside the database: %v", entries)
				}
			})
		}
	}
}

func TestOpenMissing(t *testing.T) {
	path := tempPath(t)
	_, err := sqlite.Open(t.Context(), path, sqlite.Config{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open of a missing file: %v, want an fs.ErrNotExist error naming the path", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open without CreateIfMissing created the file: %v", err)
	}
	_, err = sqlite.Open(t.Context(), filepath.Join(path, "no-such-dir", "x.db"), sqlite.Config{CreateIfMissing: true})
	if err == nil {
		t.Errorf("Open created a parent directory")
	}
}

func TestOpenCreatesNoTables(t *testing.T) {
	path := tempPath(t)
	s, err := sqlite.Open(t.Context(), path, sqlite.Config{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pending, err := s.Pending(t.Context())
	if err != nil || len(pending) == 0 || pending[0] != "0001_init" {
		t.Fatalf("Pending on a new file = %v, %v; want every migration", pending, err)
	}
	if _, err := s.Key(t.Context(), "k"); err == nil {
		t.Errorf("Key succeeded on an unmigrated database")
	}
}

func TestMigrate(t *testing.T) {
	path := tempPath(t)
	s, err := sqlite.Open(t.Context(), path, sqlite.Config{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all, err := s.Pending(t.Context())
	if err != nil || len(all) == 0 || all[0] != "0001_init" {
		t.Fatalf("Pending on a new database = %v, %v; want every migration, from 0001_init", all, err)
	}
	steps := []struct {
		name string
		want []string
	}{{"first", all}, {"again", nil}}
	for _, st := range steps {
		applied, err := s.Migrate(t.Context())
		if err != nil || !slices.Equal(applied, st.want) {
			t.Errorf("%s Migrate = %v, %v; want %v", st.name, applied, err, st.want)
		}
		if pending, err := s.Pending(t.Context()); err != nil || len(pending) != 0 {
			t.Errorf("%s Pending = %v, %v; want none", st.name, pending, err)
		}
	}
	// Reopened without CreateIfMissing, the file is migrated already.
	again, err := sqlite.Open(t.Context(), path, sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if applied, err := again.Migrate(t.Context()); err != nil || len(applied) != 0 {
		t.Errorf("Migrate after reopening = %v, %v; want nothing", applied, err)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	path := tempPath(t)
	stores := []*sqlite.Store{}
	for range 3 {
		s, err := sqlite.Open(t.Context(), path, sqlite.Config{CreateIfMissing: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores = append(stores, s)
	}
	want, err := stores[0].Pending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan []string, len(stores))
	errs := make(chan error, len(stores))
	for _, s := range stores {
		go func() {
			applied, err := s.Migrate(t.Context())
			results <- applied
			errs <- err
		}()
	}
	var all []string
	for range stores {
		all = append(all, <-results...)
		if err := <-errs; err != nil {
			t.Errorf("Migrate: %v", err)
		}
	}
	slices.Sort(all)
	if !slices.Equal(all, want) {
		t.Errorf("concurrent Migrate applied %v in all, want each migration once", all)
	}
}
