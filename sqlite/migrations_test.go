package sqlite_test

import (
	"os"
	"testing"

	"github.com/gatehouse-dev/gatehouse/storetest"
)

// TestMigrationsNeverEdited pins every migration that has landed. Add the
// hash of a new migration here when it lands; never change one.
func TestMigrationsNeverEdited(t *testing.T) {
	storetest.MigrationsUnchanged(t, os.DirFS("."), "migrations", map[string]string{
		"0001_init.sql":                "6584151f7269923c1624b45cddb5606a4de37a01d17e74be5174c52dd1d76455",
		"0002_posts.sql":               "3db6108f939e4b3672d1cd0f0212dbf04515be8f23ffd80b9363d36d7a66f051",
		"0003_sessions.sql":            "0704548b066615cbe613b4cf83378b8c6fd79d70aa79df1162e2a0ddcfa44972",
		"0004_assertion_keys.sql":      "104b58b6a1ccbb10509848a23e87a384ea8770abb3ea6b91222eb2aa06352146",
		"0005_user_version.sql":        "72ecfb71586e51958766282ac2cde4644b7414744ed4150c68334e72b56df1af",
		"0006_invitation_provider.sql": "7100e40b616a98659f3b634474b1258896a1c4fed4c3f841be7f23fc4e96ed0d",
	})
}
