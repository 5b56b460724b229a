package postgres_test

import (
	"os"
	"testing"

	"github.com/gatehouse-dev/gatehouse/storetest"
)

// TestMigrationsNeverEdited pins every migration that has landed. Add the
// hash of a new migration here when it lands; never change one.
func TestMigrationsNeverEdited(t *testing.T) {
	storetest.MigrationsUnchanged(t, os.DirFS("."), "migrations", map[string]string{
		"0001_init.sql":                "6e6fb94ab6bcf8979f1e0bf4e14b70ab5d3f2591a6c3b683cb636e5b5108ba96",
		"0002_posts.sql":               "40e1fa2473825ed2fa19fa71837e973ea2b82495778212817989da99bde6e3e4",
		"0003_sessions.sql":            "06e3b2a038e8c38a3302d0a7d277a7122dde743bab6ab8a52071344ccd1d61dd",
		"0004_assertion_keys.sql":      "c91e029b52194963d82ceee7497aa3de19c2d5659ddd256a92370168f2f6b983",
		"0005_user_version.sql":        "29c27135595afb137e1f3f10c880013f468ba38cb50ec55f7e0156b52186aeba",
		"0006_invitation_provider.sql": "c0576b1437e0ffcc80495668db4df2a2d3d71046437e26d229efdeac96fe6584",
	})
}
