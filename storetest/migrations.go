package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"path"
	"testing"
)

// MigrationsUnchanged fails t when a migration file named in pinned
// (file name to hex SHA-256) differs from its pinned hash or is gone. A
// migration that has landed may already be applied to a database, which
// will never apply it again: changing the schema means adding a new,
// higher-numbered migration. Files not in pinned are new and pass; pin
// them when they land. dir is the migrations directory in fsys.
func MigrationsUnchanged(t *testing.T, fsys fs.FS, dir string, pinned map[string]string) {
	t.Helper()
	for name, want := range pinned {
		data, err := fs.ReadFile(fsys, path.Join(dir, name))
		if err != nil {
			t.Errorf("migration %s: %v: a migration that has landed is never removed", name, err)
			continue
		}
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("migration %s was edited after it landed (SHA-256 %s, pinned %s): put it back as it was and add a new migration for the change instead", name, got, want)
		}
	}
}
