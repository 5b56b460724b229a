package keyring_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

func TestGetHidesOtherOwnersKeys(t *testing.T) {
	e := newEnv(t, keyring.Config{})
	alice, bob := e.user("alice", gatehouse.RoleAuthor), e.user("bob", gatehouse.RoleAuthor)
	k := e.create(alice.ID, "mine", "read").Key
	ctx := context.Background()
	if got, err := e.svc.Get(ctx, alice.ID, k.ID); err != nil || got.ID != k.ID {
		t.Fatalf("owner's get: %v", err)
	}
	for name, id := range map[string]string{
		"another owner's key": k.ID,
		"missing key":         strings.Repeat("a", apikey.IDLength),
		"malformed id":        "../" + k.ID,
		"upper case id":       strings.ToUpper(k.ID),
		"empty id":            "",
	} {
		_, err := e.svc.Get(ctx, bob.ID, id)
		wantCode(t, name, err, gatehouse.CodeNotFound)
		if gatehouse.ErrorMessage(err) != "No such API key." {
			t.Errorf("%s: message %q tells cases apart", name, gatehouse.ErrorMessage(err))
		}
	}
	if keys, err := e.svc.List(ctx, bob.ID); err != nil || len(keys) != 0 {
		t.Errorf("bob lists %d keys, %v", len(keys), err)
	}
	if keys, err := e.svc.List(ctx, alice.ID); err != nil || len(keys) != 1 || keys[0].ID != k.ID {
		t.Errorf("alice lists %v, %v", keys, err)
	}
}

// TestOtherOwnerChangesNothing: revoke, roll and delete of another user's
// key are refused as not found and leave the key, the audit log and the
// caches alone.
func TestOtherOwnerChangesNothing(t *testing.T) {
	e := newEnv(t, keyring.Config{})
	alice, bob := e.user("alice", gatehouse.RoleAuthor), e.user("bob", gatehouse.RoleAuthor)
	k := e.create(alice.ID, "mine", "read").Key
	ctx := context.Background()
	bobActs := keyring.Actor{UserID: bob.ID}
	ops := map[string]func() error{
		"revoke": func() error { _, err := e.svc.Revoke(ctx, bobActs, bob.ID, k.ID); return err },
		"delete": func() error { return e.svc.Delete(ctx, bobActs, bob.ID, k.ID) },
		"roll":   func() error { _, err := e.svc.Roll(ctx, bobActs, bob.ID, k.ID, 0); return err },
	}
	for name, op := range ops {
		before := e.snapshot(alice.ID, bob.ID)
		wantCode(t, name, op(), gatehouse.CodeNotFound)
		e.unchanged(name, before, alice.ID, bob.ID)
	}
}

func TestRevoke(t *testing.T) {
	e := newEnv(t, keyring.Config{})
	u := e.user("owner", gatehouse.RoleAuthor)
	k := e.create(u.ID, "ci", "read").Key
	ctx := context.Background()
	e.clock.Advance(time.Hour)
	got, err := e.svc.Revoke(ctx, keyring.Actor{UserID: u.ID, Addr: "198.51.100.7"}, u.ID, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Revoked.Equal(start.Add(time.Hour)) || got.Status(e.clock.Now(), 0) != gatehouse.StatusRevoked {
		t.Errorf("revoked %v", got.Revoked)
	}
	if !slices.Equal(e.inval.Keys(), []string{k.ID}) {
		t.Errorf("invalidated %v", e.inval.Keys())
	}
	checkAudit(t, e, gatehouse.ActionKeyRevoke, k.ID, u.ID)

	before := e.snapshot(u.ID)
	_, err = e.svc.Revoke(ctx, keyring.Actor{}, u.ID, k.ID)
	wantCode(t, "second revoke", err, gatehouse.CodeConflict)
	e.unchanged("second revoke", before, u.ID)
	if keys, _ := e.svc.List(ctx, u.ID); len(keys) != 1 {
		t.Errorf("a revoked key is no longer listed")
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, keyring.Config{})
	u := e.user("owner", gatehouse.RoleAuthor)
	k := e.create(u.ID, "ci", "read").Key
	ctx := context.Background()
	if err := e.svc.Delete(ctx, keyring.Actor{}, u.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Key(ctx, k.ID); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		t.Errorf("deleted key still stored: %v", err)
	}
	if !slices.Equal(e.inval.Keys(), []string{k.ID}) {
		t.Errorf("invalidated %v", e.inval.Keys())
	}
	checkAudit(t, e, gatehouse.ActionKeyDelete, k.ID, u.ID)
	wantCode(t, "second delete", e.svc.Delete(ctx, keyring.Actor{}, u.ID, k.ID), gatehouse.CodeNotFound)
	// The label is free again.
	e.create(u.ID, "ci", "read")
}

func TestRoll(t *testing.T) {
	for _, grace := range []time.Duration{0, time.Hour, keyring.MaxGrace} {
		e := newEnv(t, keyring.Config{})
		u := e.user("owner", gatehouse.RoleAuthor)
		old := e.create(u.ID, "ci", "read", "write")
		e.clock.Advance(time.Minute)
		c, err := e.svc.Roll(context.Background(), keyring.Actor{}, u.ID, old.Key.ID, grace)
		if err != nil {
			t.Fatalf("grace %s: %v", grace, err)
		}
		parsed, err := apikey.Parse(c.Secret)
		switch {
		case err != nil:
			t.Errorf("grace %s: new secret does not parse: %v", grace, err)
		case c.Secret == old.Secret || parsed.ID != old.Key.ID:
			t.Errorf("grace %s: new secret %v for id %s", grace, parsed, old.Key.ID)
		case c.Key.Hash != apikey.Hash(c.Secret) || c.Key.Hash == old.Key.Hash:
			t.Errorf("grace %s: stored hash is not the new secret's", grace)
		case c.Key.Label != "ci" || c.Key.Scopes.String() != "read write" || !c.Key.Rolled.Equal(e.clock.Now()):
			t.Errorf("grace %s: rolled key %+v", grace, c.Key)
		}
		wantPrev := time.Time{}
		if grace > 0 {
			wantPrev = e.clock.Now().Add(grace)
			if c.Key.PrevHash != old.Key.Hash {
				t.Errorf("grace %s: previous hash not kept", grace)
			}
		}
		if !c.Key.PrevExpires.Equal(wantPrev) {
			t.Errorf("grace %s: previous secret valid until %v, want %v", grace, c.Key.PrevExpires, wantPrev)
		}
		if !slices.Equal(e.inval.Keys(), []string{old.Key.ID}) {
			t.Errorf("grace %s: invalidated %v", grace, e.inval.Keys())
		}
		checkAudit(t, e, gatehouse.ActionKeyRoll, old.Key.ID, u.ID)
	}
}

func TestRollRefused(t *testing.T) {
	e := newEnv(t, keyring.Config{IdleExpiry: 30 * 24 * time.Hour})
	u := e.user("owner", gatehouse.RoleAuthor)
	ctx := context.Background()
	live := e.create(u.ID, "live", "read").Key
	revoked := e.create(u.ID, "revoked", "read").Key
	if _, err := e.svc.Revoke(ctx, keyring.Actor{}, u.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	soon, err := e.svc.Create(ctx, keyring.Actor{}, u.ID, keyring.CreateRequest{Label: "soon", Scopes: []string{"read"}, ExpiresIn: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour) // "soon" has expired; the others have not
	tests := []struct {
		name  string
		id    string
		grace time.Duration
		code  gatehouse.Code
	}{
		{"negative grace", live.ID, -time.Second, gatehouse.CodeInvalid},
		{"grace too long", live.ID, keyring.MaxGrace + time.Second, gatehouse.CodeInvalid},
		{"revoked", revoked.ID, 0, gatehouse.CodeConflict},
		{"expired", soon.Key.ID, 0, gatehouse.CodeConflict},
		{"malformed id", "nope", 0, gatehouse.CodeNotFound},
	}
	for _, tt := range tests {
		before := e.snapshot(u.ID)
		_, err := e.svc.Roll(ctx, keyring.Actor{}, u.ID, tt.id, tt.grace)
		wantCode(t, tt.name, err, tt.code)
		e.unchanged(tt.name, before, u.ID)
	}
	// Idle expiry counts too: a key unused for longer than IdleExpiry is
	// expired and cannot be brought back by a roll.
	e.clock.Advance(31 * 24 * time.Hour)
	before := e.snapshot(u.ID)
	_, err = e.svc.Roll(ctx, keyring.Actor{}, u.ID, live.ID, 0)
	wantCode(t, "idle", err, gatehouse.CodeConflict)
	e.unchanged("idle", before, u.ID)
}

// checkAudit requires the newest audit event to be action on key id.
func checkAudit(t *testing.T, e *env, action gatehouse.Action, id string, owner int64) {
	t.Helper()
	ev, err := e.store.AuditEvents(context.Background(), gatehouse.AuditFilter{KeyID: id, Limit: 1})
	if err != nil || len(ev) != 1 {
		t.Fatalf("audit of %s: %v, %d events", id, err, len(ev))
	}
	if ev[0].Action != action || ev[0].UserID != owner || ev[0].KeyPrefix != apikey.DisplayPrefix(id) {
		t.Errorf("newest audit event %+v, want %s", ev[0], action)
	}
}
