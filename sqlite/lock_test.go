package sqlite_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// TestLockedDatabaseIsUnavailable: when another process holds the write
// lock for longer than the busy timeout, a write fails with
// CodeUnavailable (a 503, never a silent success), while reads, which WAL
// mode never blocks, go on working.
func TestLockedDatabaseIsUnavailable(t *testing.T) {
	path := tempPath(t)
	mustOpen(t, path)
	s, err := sqlite.Open(t.Context(), path, sqlite.Config{BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: "svc", Kind: gatehouse.KindService, Role: gatehouse.RoleReader}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}

	conn, err := rawDB(t, path).Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	err = s.AppendAudit(t.Context(), &gatehouse.AuditEvent{Action: gatehouse.ActionKeyReject})
	if code := gatehouse.ErrorCode(err); code != gatehouse.CodeUnavailable {
		t.Errorf("write under another's lock: code %q (%v), want unavailable", code, err)
	}
	if _, err := s.User(t.Context(), u.ID); err != nil {
		t.Errorf("read under another's write lock: %v", err)
	}
	if _, err := conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(t.Context(), &gatehouse.AuditEvent{Action: gatehouse.ActionKeyReject}); err != nil {
		t.Errorf("write after the lock is released: %v", err)
	}
}

// TestNewFileIsPrivate: the database holds key hashes and the audit log,
// so a file Open creates is readable by its owner only.
func TestNewFileIsPrivate(t *testing.T) {
	path := tempPath(t)
	mustOpen(t, path)
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, mode)
		}
	}
}
