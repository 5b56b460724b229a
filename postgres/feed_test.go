package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/jackc/pgx/v5"
)

// TestWatchFailsOnLostListener kills the watcher's listening connection
// on the server, as a failover or an idle-connection reaper would, and
// makes a change while it is gone. WatchChanges must return an error
// rather than keep its caller believing that nothing changes, and a
// watcher started again from where the first one stopped must get the
// change.
func TestWatchFailsOnLostListener(t *testing.T) {
	schema := newSchema(t)
	s := migrated(t, schema)
	u := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: "svc", Kind: gatehouse.KindService, Role: gatehouse.RoleReader}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	k := &gatehouse.APIKey{ID: "k", UserID: u.ID, Label: "k", Hash: [32]byte{1}, Created: time.Now()}
	if err := s.CreateKey(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.WatchChanges(t.Context(), 0, func(gatehouse.Change) {}) }()

	admin, err := pgx.Connect(t.Context(), dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	killListener(t, admin, "gatehouse-changes "+schema)
	if err := s.RevokeKey(t.Context(), k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Fatalf("WatchChanges returned %v after losing its connection, want its error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WatchChanges kept running without its listening connection")
	}

	changes := make(chan gatehouse.Change, 10)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go s.WatchChanges(ctx, 0, func(c gatehouse.Change) { changes <- c })
	select {
	case c := <-changes:
		if c.KeyID != k.ID {
			t.Errorf("got change %+v, want key %s", c, k.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the change made while the listener was down never arrived")
	}
}

// killListener waits for the connection named name to appear and
// terminates it.
func killListener(t *testing.T, admin *pgx.Conn, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, name).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond) // polling the server: there is no signal to wait on
	}
	t.Fatal("the listening connection never appeared")
}
