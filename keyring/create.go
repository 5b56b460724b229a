package keyring

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

// CreateRequest asks for a new key. It is also the body of POST /api/keys.
type CreateRequest struct {
	// Label names the key for its owner; trimmed, 1 to 100 characters, no
	// control or direction-changing characters, unique per owner.
	Label string `json:"label"`
	// Scopes are what the key may do: at least one, each a known scope the
	// owner's role allows. Duplicates are dropped.
	Scopes []string `json:"scopes"`
	// ExpiresIn is how long the key lives, as ParseDuration reads it
	// ("90d", "12h"). Empty, with ExpiresAt nil, means never.
	ExpiresIn string `json:"expires_in,omitempty"`
	// ExpiresAt is when the key expires; it must be in the future. At most
	// one of ExpiresIn and ExpiresAt may be given.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Created is a key with its secret text, which is shown once and never
// stored.
type Created struct {
	Key    *gatehouse.APIKey
	Secret string
}

// LogValue implements slog.LogValuer: a logged Created shows only the key's
// display prefix, never the secret.
func (c Created) LogValue() slog.Value {
	if c.Key == nil {
		return slog.StringValue("")
	}
	return slog.StringValue(c.Key.Prefix)
}

// Create makes a key for the user ownerID and returns it with its secret.
// Errors: CodeInvalid for a bad label, scope or expiry; CodeForbidden when
// the owner is disabled, their role does not allow a scope, or a limited
// actor does not hold one (see Actor); CodeNotFound
// when the owner does not exist; CodeConflict when the owner already has a
// key with the label. A refused request changes nothing.
func (s *Service) Create(ctx context.Context, actor Actor, ownerID int64, req CreateRequest) (Created, error) {
	now := s.now().UTC().Truncate(time.Millisecond) // what every store keeps
	k, err := s.newKey(ctx, ownerID, req, now)
	if err != nil {
		return Created{}, err
	}
	if err := actor.mayHandle(k.Scopes); err != nil {
		return Created{}, err
	}
	key, err := apikey.New(s.rand)
	if err != nil {
		return Created{}, fmt.Errorf("keyring: new key: %w", err)
	}
	k.ID, k.Prefix, k.Hash = key.ID, key.DisplayPrefix(), key.Hash()
	if err := s.store.CreateKey(ctx, k); err != nil {
		return Created{}, fmt.Errorf("keyring: create key: %w", err)
	}
	if err := s.audit(ctx, actor, gatehouse.ActionKeyCreate, k, createDetail(k)); err != nil {
		s.undoCreate(ctx, k)
		return Created{}, err
	}
	s.log.InfoContext(ctx, "api key created", "key", k.Prefix, "owner", ownerID, "actor", actor.UserID)
	return Created{Key: k, Secret: key.String()}, nil
}

// newKey checks req against the owner and returns the key to store,
// without its id and hash.
func (s *Service) newKey(ctx context.Context, ownerID int64, req CreateRequest, now time.Time) (*gatehouse.APIKey, error) {
	label, err := checkLabel(req.Label)
	if err != nil {
		return nil, err
	}
	expires, err := expiry(req, now)
	if err != nil {
		return nil, err
	}
	owner, err := s.store.User(ctx, ownerID)
	if err != nil {
		return nil, fmt.Errorf("keyring: owner %d: %w", ownerID, err)
	}
	if owner.Disabled {
		return nil, gatehouse.Errorf(gatehouse.CodeForbidden, "The owner's account is disabled.")
	}
	scopes, err := s.checkScopes(req.Scopes, owner.Role)
	if err != nil {
		return nil, err
	}
	return &gatehouse.APIKey{UserID: ownerID, Label: label, Scopes: scopes,
		Created: now, Expires: expires.Truncate(time.Millisecond)}, nil
}

// undoCreate removes a key whose creation could not be audited: a key
// nobody can account for must not work.
func (s *Service) undoCreate(ctx context.Context, k *gatehouse.APIKey) {
	if err := s.store.DeleteKey(context.WithoutCancel(ctx), k.ID); err != nil {
		s.log.ErrorContext(ctx, "unaudited api key could not be removed", "key", k.Prefix, "err", err)
	}
	s.invalidate(k.ID)
}

func createDetail(k *gatehouse.APIKey) string {
	d := fmt.Sprintf("label %q, scopes %s", k.Label, k.Scopes)
	if !k.Expires.IsZero() {
		d += ", expires " + k.Expires.UTC().Format(time.RFC3339)
	}
	return d
}
