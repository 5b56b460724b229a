package sqlite_test

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// TestSessionsCascadeWithUser: deleting a user (an operator's sqlite3
// shell is the only way) deletes their sessions with them.
func TestSessionsCascadeWithUser(t *testing.T) {
	path := tempPath(t)
	s := mustOpen(t, path)
	ctx := t.Context()
	u := &gatehouse.User{Issuer: "https://idp.example", Subject: "ada", Kind: gatehouse.KindPerson, Role: gatehouse.RoleReader}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	sess := &gatehouse.Session{ID: "s1", Hash: [32]byte{1}, UserID: u.ID, Created: now, Expires: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	if _, err := db.Exec(`PRAGMA foreign_keys = ON; DELETE FROM users WHERE id = ?`, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByHash(ctx, sess.Hash); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		t.Errorf("SessionByHash after deleting the user: %v, want not found", err)
	}
}

// TestExpiredLoginsPurged: PutLogin deletes flows that have expired, so
// abandoned sign-ins do not pile up.
func TestExpiredLoginsPurged(t *testing.T) {
	path := tempPath(t)
	s := mustOpen(t, path)
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	flows := []*gatehouse.LoginFlow{
		{State: "old", BrowserHash: [32]byte{1}, Created: now.Add(-time.Hour), Expires: now.Add(-50 * time.Minute)},
		{State: "live", BrowserHash: [32]byte{2}, Created: now, Expires: now.Add(10 * time.Minute)},
		{State: "new", BrowserHash: [32]byte{3}, Created: now, Expires: now.Add(10 * time.Minute)},
	}
	for _, f := range flows {
		if err := s.PutLogin(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	var states []string
	rows, err := rawDB(t, path).Query(`SELECT state FROM login_flows ORDER BY state`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		if err := rows.Scan(&st); err != nil {
			t.Fatal(err)
		}
		states = append(states, st)
	}
	if len(states) != 2 || states[0] != "live" || states[1] != "new" {
		t.Errorf("login flows after PutLogin = %v, want [live new]", states)
	}
}
