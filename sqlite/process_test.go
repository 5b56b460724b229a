package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// The environment variables that turn the test binary into a second
// process writing to the parent's database.
const (
	childDBEnv  = "GATEHOUSE_SQLITE_CHILD_DB"
	childKeyEnv = "GATEHOUSE_SQLITE_CHILD_KEY"
)

// childWrites is how many audit events (and key uses) each process writes.
const childWrites = 50

// TestChildProcess is the second process of TestTwoProcesses; on its own
// it does nothing.
func TestChildProcess(t *testing.T) {
	path := os.Getenv(childDBEnv)
	if path == "" {
		t.Skip("run by TestTwoProcesses")
	}
	s, err := sqlite.Open(t.Context(), path, sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	keyID := os.Getenv(childKeyEnv)
	if err := writeLoad(t.Context(), s, keyID, "child"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeKey(t.Context(), keyID, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// writeLoad writes childWrites audit events and key uses.
func writeLoad(ctx context.Context, s gatehouse.Store, keyID, who string) error {
	for i := range childWrites {
		if err := s.TouchKeys(ctx, []gatehouse.KeyUse{{KeyID: keyID, At: time.Now(), Addr: who}}); err != nil {
			return fmt.Errorf("%s: touch %d: %w", who, i, err)
		}
		if err := s.AppendAudit(ctx, &gatehouse.AuditEvent{Action: gatehouse.ActionKeyReject, Reason: who}); err != nil {
			return fmt.Errorf("%s: audit %d: %w", who, i, err)
		}
	}
	return nil
}

// TestTwoProcesses writes from this process and a child process to one
// file at once: neither may fail with SQLITE_BUSY, and the child's
// revocation reaches this process's change feed.
func TestTwoProcesses(t *testing.T) {
	path := tempPath(t)
	s := mustOpen(t, path)
	u := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: "svc", Kind: gatehouse.KindService, Role: gatehouse.RoleReader}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	k := &gatehouse.APIKey{ID: "shared", UserID: u.ID, Label: "shared", Hash: [32]byte{1}, Created: time.Now()}
	if err := s.CreateKey(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	changes := make(chan gatehouse.Change, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go s.WatchChanges(ctx, 0, func(c gatehouse.Change) { changes <- c })

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDBEnv+"="+path, childKeyEnv+"="+k.ID)
	out := make(chan error, 1)
	var output []byte
	go func() {
		var err error
		output, err = cmd.CombinedOutput()
		out <- err
	}()
	if err := writeLoad(t.Context(), s, k.ID, "parent"); err != nil {
		t.Error(err)
	}
	if err := <-out; err != nil {
		t.Fatalf("child process: %v\n%s", err, output)
	}
	select {
	case c := <-changes:
		if c.KeyID != k.ID {
			t.Errorf("change %+v, want key %s", c, k.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the child's revocation did not reach the change feed")
	}
	events, err := s.AuditEvents(t.Context(), gatehouse.AuditFilter{Limit: 1000})
	if err != nil || len(events) != 2*childWrites {
		t.Errorf("AuditEvents: %d events, %v; want %d", len(events), err, 2*childWrites)
	}
}
