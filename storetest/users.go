package storetest

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

func testUsers(t *testing.T, open Opener) {
	t.Run("CreateAndGet", func(t *testing.T) { testCreateUser(t, open(t)) })
	t.Run("IdentityConflict", func(t *testing.T) { testUserConflict(t, open(t)) })
	t.Run("ByEmail", func(t *testing.T) { testUsersByEmail(t, open(t)) })
	t.Run("Update", func(t *testing.T) { testUpdateUser(t, open(t)) })
	t.Run("StaleUpdate", func(t *testing.T) { testStaleUpdate(t, open(t)) })
	t.Run("UpdateUserWith", func(t *testing.T) { testUpdateUserWith(t, open) })
	t.Run("NotFound", func(t *testing.T) { testUserNotFound(t, open(t)) })
	t.Run("AcceptInvitation", func(t *testing.T) { testAcceptInvitation(t, open(t)) })
	t.Run("InvitationProvider", func(t *testing.T) { testInvitationProvider(t, open(t)) })
}

func testCreateUser(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: "deploy-bot", Kind: gatehouse.KindService,
		Name: "Deploy bot", Role: gatehouse.RoleEditor, Disabled: true}
	noErr(t, "CreateUser", s.CreateUser(ctx, u))
	if u.ID == 0 || u.Created.IsZero() || !u.Updated.Equal(u.Created) || u.Version != 1 {
		t.Fatalf("CreateUser set ID %d, Created %v, Updated %v, Version %d; want an id, equal, non-zero times and version 1",
			u.ID, u.Created, u.Updated, u.Version)
	}
	got, err := s.User(ctx, u.ID)
	noErr(t, "User", err)
	sameFields(t, "User", got, u)
	got, err = s.UserByIdentity(ctx, u.Issuer, u.Subject)
	noErr(t, "UserByIdentity", err)
	sameFields(t, "UserByIdentity", got, u)
}

func testUserConflict(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := newFixtures(t, s).user()
	cases := []struct {
		name   string
		issuer string
		code   gatehouse.Code
	}{
		{"same issuer and subject", u.Issuer, gatehouse.CodeConflict},
		{"same subject at another issuer", "https://other.example", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dup := &gatehouse.User{Issuer: c.issuer, Subject: u.Subject, Kind: gatehouse.KindPerson, Role: gatehouse.RoleReader}
			wantCode(t, "CreateUser", s.CreateUser(ctx, dup), c.code)
		})
	}
}

func testUsersByEmail(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := newFixtures(t, s)
	a, b, c := f.user(), f.user(), f.user()
	b.Email = "Shared@Example.COM"
	c.Email = "shared@example.com"
	noErr(t, "UpdateUser", s.UpdateUser(ctx, b))
	noErr(t, "UpdateUser", s.UpdateUser(ctx, c))
	cases := []struct {
		email string
		want  []int64
	}{
		{"", []int64{a.ID, b.ID, c.ID}},
		{"SHARED@example.com", []int64{b.ID, c.ID}},
		{a.Email, []int64{a.ID}},
		{"nobody@example.com", nil},
		{"shared@example", nil},
	}
	for _, tc := range cases {
		got, err := s.Users(ctx, tc.email)
		noErr(t, "Users", err)
		var ids []int64
		for _, u := range got {
			ids = append(ids, u.ID)
		}
		if !same(tc.want, ids) {
			t.Errorf("Users(%q) = ids %v, want %v", tc.email, ids, tc.want)
		}
	}
}

func testUpdateUser(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := newFixtures(t, s).user()
	created, version := u.Created, u.Version
	u.Email, u.Name, u.Role, u.Disabled = "new@example.com", "New Name", gatehouse.RoleAdmin, true
	// Identity and kind are not updatable: a store that saved them would
	// let an update take over another identity.
	want := *u
	u.Subject, u.Kind = "someone-else", gatehouse.KindService
	noErr(t, "UpdateUser", s.UpdateUser(ctx, u))
	if u.Updated.Before(created) {
		t.Errorf("Updated %v is before Created %v", u.Updated, created)
	}
	if u.Version <= version {
		t.Errorf("Version %d after an update, want more than %d", u.Version, version)
	}
	want.Updated, want.Version = u.Updated, u.Version
	got, err := s.User(ctx, u.ID)
	noErr(t, "User", err)
	sameFields(t, "User after update", got, &want)

	missing := want
	missing.ID = u.ID + 1000
	wantCode(t, "UpdateUser of a missing user", s.UpdateUser(ctx, &missing), gatehouse.CodeNotFound)
}

func testUserNotFound(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := newFixtures(t, s).user()
	_, err := s.User(ctx, u.ID+1)
	wantCode(t, "User", err, gatehouse.CodeNotFound)
	_, err = s.UserByIdentity(ctx, u.Issuer, u.Subject+"x")
	wantCode(t, "UserByIdentity", err, gatehouse.CodeNotFound)
	_, err = s.UserByIdentity(ctx, "https://other.example", u.Subject)
	wantCode(t, "UserByIdentity at another issuer", err, gatehouse.CodeNotFound)
}

// testStaleUpdate: an update made from a copy read before another update
// is refused with CodeConflict and changes nothing (no field, no Change),
// so a sign-in that read the user before an operator disabled it cannot
// enable it again; a copy read afterwards updates as usual.
func testStaleUpdate(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	u := newFixtures(t, s).user()
	first, err := s.User(ctx, u.ID)
	noErr(t, "User", err)
	second, err := s.UserByIdentity(ctx, u.Issuer, u.Subject)
	noErr(t, "UserByIdentity", err)

	first.Disabled, first.Role = true, gatehouse.RoleReader
	noErr(t, "UpdateUser of the first copy", s.UpdateUser(ctx, first))
	last, err := s.LastChange(ctx)
	noErr(t, "LastChange", err)

	second.Name = "Name from the provider"
	wantCode(t, "UpdateUser of the stale copy", s.UpdateUser(ctx, second), gatehouse.CodeConflict)
	got, err := s.User(ctx, u.ID)
	noErr(t, "User", err)
	sameFields(t, "User after the stale update", got, first)
	if after, err := s.LastChange(ctx); err != nil || after != last {
		t.Errorf("LastChange after the refused update = %d (%v), want %d: it recorded a change", after, err, last)
	}

	got.Name = "Name from the provider"
	noErr(t, "UpdateUser of a fresh copy", s.UpdateUser(ctx, got))
	again, err := s.User(ctx, u.ID)
	noErr(t, "User", err)
	if again.Name != got.Name || !again.Disabled || again.Role != gatehouse.RoleReader || again.Version != got.Version {
		t.Errorf("after the fresh update: %+v, want name %q, disabled, reader, version %d", again, got.Name, got.Version)
	}
	wantCode(t, "UpdateUser of the first copy again", s.UpdateUser(ctx, first), gatehouse.CodeConflict)
}
