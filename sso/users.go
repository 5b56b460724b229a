package sso

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// user returns the user the identity signs in as: found by (issuer,
// subject), never by email alone, and created on first sign-in.
//
// Invitations: an operator may add a person by email before they first
// sign in (issuer gatehouse.IssuerInvited, subject the email). The first
// sign-in with a verified email that matches an invitation accepts it: the
// invited user becomes that identity, keeping its id, role and API keys.
// An invitation bound to a provider (User.InvitationProvider) is accepted
// only through the provider configured under that name; a sign-in through
// any other provider with the same email is refused (403, audited as
// invitation_other_provider) rather than given a second user with the
// invited email.
func (s *Service) user(ctx context.Context, c *ProviderConfig, id *identity) (*gatehouse.User, error) {
	if id.Subject == "" {
		return nil, failure("no_subject", gatehouse.Errorf(gatehouse.CodeInvalid, "the provider named no subject"))
	}
	if !c.allows(id.Email, id.EmailVerified) {
		return nil, failure("not_allowed", gatehouse.Errorf(gatehouse.CodeForbidden, "email %q is not allowed", id.Email))
	}
	u, err := s.store.UserByIdentity(ctx, id.Issuer, id.Subject)
	switch gatehouse.ErrorCode(err) {
	case "":
		return s.refresh(ctx, c, u, id)
	case gatehouse.CodeNotFound:
		return s.create(ctx, c, id)
	}
	return nil, fmt.Errorf("sso: find user: %w", err)
}

// refresh updates a returning user from what the provider says now. When
// the user changed after u was read (an operator disabled them, say), the
// update is refused: refresh reads the user again and starts over, so a
// concurrent disable wins and the sign-in is refused.
func (s *Service) refresh(ctx context.Context, c *ProviderConfig, u *gatehouse.User, id *identity) (*gatehouse.User, error) {
	saved, err := gatehouse.UpdateUserWith(ctx, s.store, u, func(u *gatehouse.User) (bool, error) {
		if u.Disabled {
			return false, failure("disabled", gatehouse.Errorf(gatehouse.CodeForbidden, "user %d is disabled", u.ID))
		}
		now := fromProvider(c, u, id)
		if now.Email == u.Email && now.Name == u.Name && now.Role == u.Role {
			return false, nil
		}
		*u = *now
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("sso: update user %d: %w", u.ID, err)
	}
	return saved, nil
}

// fromProvider returns a copy of u with what the provider says now.
func fromProvider(c *ProviderConfig, u *gatehouse.User, id *identity) *gatehouse.User {
	changed := *u
	if id.EmailVerified && id.Email != "" {
		changed.Email = id.Email
	}
	if id.Name != "" {
		changed.Name = id.Name
	}
	if r, ok := c.roleFrom(id.Claims); ok {
		changed.Role = r
	}
	return &changed
}

// create makes the user of a first sign-in.
func (s *Service) create(ctx context.Context, c *ProviderConfig, id *identity) (*gatehouse.User, error) {
	u := &gatehouse.User{Issuer: id.Issuer, Subject: id.Subject, Kind: gatehouse.KindPerson, Name: id.Name, Role: c.DefaultRole}
	if id.EmailVerified {
		u.Email = id.Email
	}
	inv, err := s.invitation(ctx, u.Email)
	if err != nil {
		return nil, err
	}
	if inv != nil && inv.InvitationProvider != "" && inv.InvitationProvider != c.Name {
		return nil, failure("invitation_other_provider", gatehouse.Errorf(gatehouse.CodeForbidden,
			"invitation %d is bound to provider %s, not %s", inv.ID, inv.InvitationProvider, c.Name))
	}
	if inv != nil {
		return s.accept(ctx, c, inv, id)
	}
	if r, ok := c.roleFrom(id.Claims); ok {
		u.Role = r
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, fmt.Errorf("sso: create user: %w", err)
	}
	s.auditCtx(ctx, &gatehouse.AuditEvent{Action: gatehouse.ActionUserCreate, UserID: u.ID,
		Detail: fmt.Sprintf("first sign-in through %s, role %s", c.Name, u.Role)})
	return u, nil
}

// accept makes the invitation inv the identity that signed in, then
// updates it from what the provider says, as for a returning user.
func (s *Service) accept(ctx context.Context, c *ProviderConfig, inv *gatehouse.User, id *identity) (*gatehouse.User, error) {
	if err := s.store.AcceptInvitation(ctx, inv.ID, id.Issuer, id.Subject); err != nil {
		return nil, fmt.Errorf("sso: accept invitation %d: %w", inv.ID, err)
	}
	s.auditCtx(ctx, &gatehouse.AuditEvent{Action: gatehouse.ActionUserUpdate, ActorID: inv.ID, UserID: inv.ID,
		Detail: fmt.Sprintf("invitation accepted at first sign-in through %s", c.Name)})
	// Accepting changed the user: read it again, as refresh needs the
	// current version.
	u, err := s.store.User(ctx, inv.ID)
	if err != nil {
		return nil, fmt.Errorf("sso: read accepted invitation %d: %w", inv.ID, err)
	}
	return s.refresh(ctx, c, u, id)
}

// invitation returns the active invitation for a verified email, or nil.
func (s *Service) invitation(ctx context.Context, email string) (*gatehouse.User, error) {
	if email == "" {
		return nil, nil
	}
	users, err := s.store.Users(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("sso: find invitation: %w", err)
	}
	for _, u := range users {
		if u.Issuer == gatehouse.IssuerInvited && strings.EqualFold(u.Subject, email) {
			return u, nil
		}
	}
	return nil, nil
}

func (s *Service) auditCtx(ctx context.Context, e *gatehouse.AuditEvent) {
	e.Time = s.now()
	if err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.ErrorContext(ctx, "sso: audit", "action", e.Action, "err", err)
	}
}
