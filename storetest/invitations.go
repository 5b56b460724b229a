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
