package sqlite_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

// rawDB opens the file with database/sql directly, as an operator's sqlite3
// shell would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAuditIsAppendOnly(t *testing.T) {
	path := tempPath(t)
	s := mustOpen(t, path)
	e := &gatehouse.AuditEvent{Action: gatehouse.ActionKeyRevoke, KeyID: "k"}
	if err := s.AppendAudit(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, q := range []string{`UPDATE audit SET reason = 'forged'`, `DELETE FROM audit`} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want the append-only error", q, err)
		}
	}
	got, err := s.AuditEvents(t.Context(), gatehouse.AuditFilter{})
	if err != nil || len(got) != 1 || got[0].Reason != "" {
		t.Errorf("AuditEvents after tampering = %v, %v", got, err)
	}
}

func TestMigrateRefusesNewerDatabase(t *testing.T) {
	path := tempPath(t)
	s := mustOpen(t, path)
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, applied) VALUES ('9999_future', 0)`); err != nil {
		t.Fatal(err)
	}
	_, err := s.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "9999_future") {
		t.Errorf("Migrate of a newer database: %v, want an error naming the unknown version", err)
	}
}

func TestTimesAreUTCMillis(t *testing.T) {
	path := tempPath(t)
	s := mustOpen(t, path)
	e := &gatehouse.AuditEvent{Action: gatehouse.ActionKeyReject}
	if err := s.AppendAudit(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	var ms int64
	if err := rawDB(t, path).QueryRow(`SELECT time FROM audit WHERE id = ?`, e.ID).Scan(&ms); err != nil {
		t.Fatal(err)
	}
	if ms != e.Time.UnixMilli() || e.Time.Location().String() != "UTC" {
		t.Errorf("stored %d for %v, want Unix milliseconds of a UTC time", ms, e.Time)
	}
}
