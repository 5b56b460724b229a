package keyring

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

// List returns the keys of the user ownerID, newest first, revoked ones
// included. The keys hold hashes: show them through View.
func (s *Service) List(ctx context.Context, ownerID int64) ([]*gatehouse.APIKey, error) {
	keys, err := s.store.Keys(ctx, ownerID)
	if err != nil {
		return nil, fmt.Errorf("keyring: list keys of user %d: %w", ownerID, err)
	}
	return keys, nil
}

// Get returns the key id of the user ownerID. A key of another user, a
// missing key and an id that is not well-formed are all CodeNotFound.
func (s *Service) Get(ctx context.Context, ownerID int64, id string) (*gatehouse.APIKey, error) {
	notFound := gatehouse.Errorf(gatehouse.CodeNotFound, "No such API key.")
	if !apikey.ValidID(id) {
		return nil, notFound
	}
	k, err := s.store.Key(ctx, id)
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: get key %s: %w", id, err)
	}
	if k.UserID != ownerID {
		return nil, notFound
	}
	return k, nil
}

// Revoke stops key id of the user ownerID from working and returns it; it
// stays listed. Errors are those of Get, and CodeConflict when the key is
// already revoked.
func (s *Service) Revoke(ctx context.Context, actor Actor, ownerID int64, id string) (*gatehouse.APIKey, error) {
	k, err := s.getFor(ctx, actor, ownerID, id)
	if err != nil {
		return nil, err
	}
	if !k.Revoked.IsZero() {
		return nil, gatehouse.Errorf(gatehouse.CodeConflict, "The key was already revoked.")
	}
	if err := s.store.RevokeKey(ctx, id, s.now()); err != nil {
		return nil, fmt.Errorf("keyring: revoke key %s: %w", id, err)
	}
	s.invalidate(id)
	if err := s.audit(ctx, actor, gatehouse.ActionKeyRevoke, k, fmt.Sprintf("label %q", k.Label)); err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "api key revoked", "key", k.Prefix, "owner", ownerID, "actor", actor.UserID)
	return s.reread(ctx, id)
}

// Delete removes key id of the user ownerID; the audit log keeps its
// history. Errors are those of Get.
func (s *Service) Delete(ctx context.Context, actor Actor, ownerID int64, id string) error {
	k, err := s.getFor(ctx, actor, ownerID, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteKey(ctx, id); err != nil {
		return fmt.Errorf("keyring: delete key %s: %w", id, err)
	}
	s.invalidate(id)
	if err := s.audit(ctx, actor, gatehouse.ActionKeyDelete, k, fmt.Sprintf("label %q", k.Label)); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "api key deleted", "key", k.Prefix, "owner", ownerID, "actor", actor.UserID)
	return nil
}

// Roll gives key id of the user ownerID a new secret, keeping its id,
// label, scopes and expiry, and returns it with the new secret. The old
// secret stays valid for grace (0: not at all; at most MaxGrace). Errors are
// those of Get, CodeInvalid for a bad grace, and CodeConflict when the key
// is revoked or expired (past its expiry or, with Config.IdleExpiry, unused
// for too long).
func (s *Service) Roll(ctx context.Context, actor Actor, ownerID int64, id string, grace time.Duration) (Created, error) {
	if grace < 0 || grace > MaxGrace {
		return Created{}, gatehouse.Errorf(gatehouse.CodeInvalid, "The grace period must be between 0 and %s.", MaxGrace)
	}
	k, err := s.getFor(ctx, actor, ownerID, id)
	if err != nil {
		return Created{}, err
	}
	now := s.now()
	switch k.Status(now, s.idle) {
	case gatehouse.StatusRevoked:
		return Created{}, gatehouse.Errorf(gatehouse.CodeConflict, "A revoked key cannot be rolled; create a new one.")
	case gatehouse.StatusExpired:
		return Created{}, gatehouse.Errorf(gatehouse.CodeConflict, "An expired key cannot be rolled; create a new one.")
	}
	key, err := apikey.Roll(id, s.rand)
	if err != nil {
		return Created{}, fmt.Errorf("keyring: roll key %s: %w", id, err)
	}
	var prevExpires time.Time
	if grace > 0 {
		prevExpires = now.Add(grace)
	}
	if err := s.store.RollKey(ctx, id, key.Hash(), now, prevExpires); err != nil {
		return Created{}, fmt.Errorf("keyring: roll key %s: %w", id, err)
	}
	s.invalidate(id)
	if err := s.audit(ctx, actor, gatehouse.ActionKeyRoll, k, fmt.Sprintf("label %q, grace %s", k.Label, grace)); err != nil {
		return Created{}, err
	}
	s.log.InfoContext(ctx, "api key rolled", "key", k.Prefix, "owner", ownerID, "actor", actor.UserID, "grace", grace)
	k, err = s.reread(ctx, id)
	if err != nil {
		return Created{}, err
	}
	return Created{Key: k, Secret: key.String()}, nil
}

// getFor is Get for a change by actor, who must be allowed to handle the
// key's scopes (see Actor.Limited).
func (s *Service) getFor(ctx context.Context, actor Actor, ownerID int64, id string) (*gatehouse.APIKey, error) {
	k, err := s.Get(ctx, ownerID, id)
	if err != nil {
		return nil, err
	}
	if err := actor.mayHandle(k.Scopes); err != nil {
		return nil, err
	}
	return k, nil
}

// reread returns the stored key after a change.
func (s *Service) reread(ctx context.Context, id string) (*gatehouse.APIKey, error) {
	k, err := s.store.Key(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("keyring: read key %s: %w", id, err)
	}
	return k, nil
}
