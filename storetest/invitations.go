package storetest

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

// testAcceptInvitation: an invitation becomes the identity that signed
// in, keeping its id (and so its keys); only invitations can be accepted,
// once, and never onto an identity that is taken.
func testAcceptInvitation(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	inv := &gatehouse.User{Issuer: gatehouse.IssuerInvited, Subject: "ada@example.com", Kind: gatehouse.KindPerson,
		Email: "ada@example.com", Role: gatehouse.RoleEditor}
	noErr(t, "CreateUser", s.CreateUser(ctx, inv))
	taken := &gatehouse.User{Issuer: "https://id.example", Subject: "taken", Kind: gatehouse.KindPerson, Role: gatehouse.RoleReader}
	noErr(t, "CreateUser", s.CreateUser(ctx, taken))

	wantCode(t, "accept onto a taken identity", s.AcceptInvitation(ctx, inv.ID, taken.Issuer, taken.Subject), gatehouse.CodeConflict)
	wantCode(t, "accept a user who is not an invitation", s.AcceptInvitation(ctx, taken.ID, "https://id.example", "new"), gatehouse.CodeNotFound)
	wantCode(t, "accept with the invited issuer", s.AcceptInvitation(ctx, inv.ID, gatehouse.IssuerInvited, "x"), gatehouse.CodeInvalid)

	noErr(t, "AcceptInvitation", s.AcceptInvitation(ctx, inv.ID, "https://id.example", "ada-sub"))
	got, err := s.UserByIdentity(ctx, "https://id.example", "ada-sub")
	noErr(t, "UserByIdentity", err)
	if got.ID != inv.ID || got.Role != gatehouse.RoleEditor || got.Email != "ada@example.com" || got.Version <= inv.Version {
		t.Errorf("accepted invitation = %+v, want id %d with its role and email, and a version above %d", got, inv.ID, inv.Version)
	}
	// A copy of the invitation read before it was accepted is stale.
	inv.Role = gatehouse.RoleReader
	wantCode(t, "UpdateUser of the invitation read before acceptance", s.UpdateUser(ctx, inv), gatehouse.CodeConflict)
	_, err = s.UserByIdentity(ctx, gatehouse.IssuerInvited, "ada@example.com")
	wantCode(t, "the invitation after acceptance", err, gatehouse.CodeNotFound)
	wantCode(t, "accept twice", s.AcceptInvitation(ctx, inv.ID, "https://id.example", "other"), gatehouse.CodeNotFound)
}

// testInvitationProvider: the provider an invitation is bound to is kept
// by every read and by UpdateUser, refused on a user that is not an
// invitation or when it is not a provider name, and cleared when the
// invitation is accepted.
func testInvitationProvider(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	inv := &gatehouse.User{Issuer: gatehouse.IssuerInvited, Subject: "grace@example.com", Kind: gatehouse.KindPerson,
		Email: "grace@example.com", Role: gatehouse.RoleAdmin, InvitationProvider: "corp"}
	noErr(t, "CreateUser", s.CreateUser(ctx, inv))
	open := &gatehouse.User{Issuer: gatehouse.IssuerInvited, Subject: "alan@example.com", Kind: gatehouse.KindPerson,
		Email: "alan@example.com", Role: gatehouse.RoleReader}
	noErr(t, "CreateUser", s.CreateUser(ctx, open))

	byID, err := s.User(ctx, inv.ID)
	noErr(t, "User", err)
	byIdentity, err := s.UserByIdentity(ctx, gatehouse.IssuerInvited, "grace@example.com")
	noErr(t, "UserByIdentity", err)
	byEmail, err := s.Users(ctx, "grace@example.com")
	noErr(t, "Users", err)
	if len(byEmail) != 1 {
		t.Fatalf("Users(grace@example.com) = %d users, want 1", len(byEmail))
	}
	for what, u := range map[string]*gatehouse.User{"User": byID, "UserByIdentity": byIdentity, "Users": byEmail[0]} {
		if u.InvitationProvider != "corp" {
			t.Errorf("%s: InvitationProvider = %q, want corp", what, u.InvitationProvider)
		}
	}
	got, err := s.User(ctx, open.ID)
	noErr(t, "User of the unbound invitation", err)
	if got.InvitationProvider != "" {
		t.Errorf("unbound invitation: InvitationProvider = %q, want empty", got.InvitationProvider)
	}

	byID.Role = gatehouse.RoleEditor
	noErr(t, "UpdateUser", s.UpdateUser(ctx, byID))
	if got, err := s.User(ctx, inv.ID); err != nil || got.InvitationProvider != "corp" || got.Role != gatehouse.RoleEditor {
		t.Errorf("after UpdateUser: %+v (err %v), want role editor, still bound to corp", got, err)
	}

	service := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: "ci", Kind: gatehouse.KindService,
		Role: gatehouse.RoleReader, InvitationProvider: "corp"}
	wantCode(t, "CreateUser of a service account bound to a provider", s.CreateUser(ctx, service), gatehouse.CodeInvalid)
	bad := &gatehouse.User{Issuer: gatehouse.IssuerInvited, Subject: "eve@example.com", Kind: gatehouse.KindPerson,
		Email: "eve@example.com", Role: gatehouse.RoleReader, InvitationProvider: "Corp Login"}
	wantCode(t, "CreateUser bound to an invalid provider name", s.CreateUser(ctx, bad), gatehouse.CodeInvalid)

	noErr(t, "AcceptInvitation", s.AcceptInvitation(ctx, inv.ID, "https://id.corp.example", "grace-sub"))
	got, err = s.User(ctx, inv.ID)
	noErr(t, "User", err)
	if got.InvitationProvider != "" || got.Issuer != "https://id.corp.example" {
		t.Errorf("accepted invitation = %+v, want the new identity and no InvitationProvider", got)
	}
}
