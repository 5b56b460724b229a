// Package keyring manages API keys: it creates, lists, rolls, revokes and
// deletes them under one set of rules, which the REST API and the
// operator's command line both use.
//
// # Rules
//
// A key belongs to one user (its owner). Its label is 1 to 100 characters
// of printable text, unique per owner. It carries at least one scope, each
// known to the deployment and allowed by the owner's current role; a
// disabled owner gets no new keys. Only the SHA-256 of the key's text and
// its non-secret display prefix are stored: the secret is returned once, by
// Create or Roll, and never again.
//
// A key of another owner, and an id that is not well-formed, are both
// CodeNotFound, so that ids cannot be probed. Revoking a revoked key, and
// rolling a revoked or expired one, are CodeConflict.
//
// Every roll, revoke and delete is reported to the Invalidator as soon as
// the store has it, so that a cache in front of the store stops accepting an
// old secret at once; every change is written to the audit log, never with
// the secret. A key whose creation cannot be audited is removed again.
package keyring

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// MaxGrace is the longest time Roll keeps the replaced secret valid.
const MaxGrace = 7 * 24 * time.Hour

// MaxLifetime is the longest expiry a new key may be given; a key that
// should never expire is created without an expiry.
const MaxLifetime = 10 * 365 * 24 * time.Hour

// Store is what the Service needs of a storage backend.
type Store interface {
	gatehouse.UserStore
	gatehouse.KeyStore
	gatehouse.AuditStore
}

// Invalidator drops cached authentication state. The guard of the same
// instance implements it.
type Invalidator interface {
	// InvalidateKey forgets what is cached about one key.
	InvalidateKey(id string)
	// InvalidateUser forgets what is cached about all of a user's keys.
	InvalidateUser(id int64)
}

// Config holds a Service's dependencies and settings.
type Config struct {
	// Store keeps users, keys and the audit log. Required.
	Store Store
	// Scopes are the deployment's known scopes; nil means
	// gatehouse.BuiltinScopes.
	Scopes gatehouse.Scopes
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Rand is the source of new keys; nil means crypto/rand.Reader.
	Rand io.Reader
	// Invalidator, when not nil, is told about every roll, revoke and
	// delete right after the store has it.
	Invalidator Invalidator
	// IdleExpiry, when positive, is how long a key may go unused before it
	// counts as expired; View and Roll use it. Zero means keys never
	// expire from disuse.
	IdleExpiry time.Duration
	// Logger receives one line per change; nil discards them.
	Logger *slog.Logger
}

// Service applies the key lifecycle rules. It is safe for concurrent use.
type Service struct {
	store Store
	known gatehouse.Scopes
	now   func() time.Time
	rand  io.Reader
	inval Invalidator
	idle  time.Duration
	log   *slog.Logger
}

// New returns a Service for cfg, or an error when cfg is unusable.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("keyring: config: a store is required")
	}
	if cfg.IdleExpiry < 0 {
		return nil, fmt.Errorf("keyring: config: negative idle expiry %s", cfg.IdleExpiry)
	}
	known := gatehouse.NewScopes(gatehouse.BuiltinScopes...)
	if len(cfg.Scopes) > 0 {
		known = gatehouse.NewScopes(cfg.Scopes...)
	}
	for _, s := range known {
		if !gatehouse.ValidScopeName(string(s)) {
			return nil, fmt.Errorf("keyring: config: invalid scope name %q", s)
		}
	}
	s := &Service{store: cfg.Store, known: known, now: cfg.Now, rand: cfg.Rand,
		inval: cfg.Invalidator, idle: cfg.IdleExpiry, log: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// Actor is who asks for a change, as the audit log records it.
type Actor struct {
	// UserID is the acting user; 0 is the operator's command line.
	UserID int64
	// Addr is the client's address, empty when not over the network.
	Addr string
	// Limited, with Scopes, bounds what the actor may grant or manage: an
	// API key managing keys may create keys only with scopes it holds
	// itself, and roll, revoke or delete only keys whose scopes it holds,
	// so that a leaked key-management key cannot mint or take over a more
	// powerful key. Sessions and the operator's command line are not
	// limited (Limited false).
	Limited bool
	Scopes  gatehouse.Scopes
}

// mayHandle returns a CodeForbidden error when a limited actor lacks one
// of scopes.
func (a Actor) mayHandle(scopes gatehouse.Scopes) error {
	if !a.Limited {
		return nil
	}
	for _, sc := range scopes {
		if !a.Scopes.Has(sc) {
			return gatehouse.Errorf(gatehouse.CodeForbidden,
				"A key may only create or manage keys whose scopes it holds itself; this one lacks %q.", sc)
		}
	}
	return nil
}

// Scopes returns the deployment's known scopes.
func (s *Service) Scopes() gatehouse.Scopes { return s.known }

// audit appends one event about key k.
func (s *Service) audit(ctx context.Context, a Actor, action gatehouse.Action, k *gatehouse.APIKey, detail string) error {
	e := &gatehouse.AuditEvent{
		Time: s.now(), Action: action, ActorID: a.UserID, UserID: k.UserID,
		KeyID: k.ID, KeyPrefix: k.Prefix, Addr: a.Addr, Detail: detail,
	}
	if err := s.store.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("keyring: audit %s of key %s: %w", action, k.ID, err)
	}
	return nil
}

// invalidate tells the Invalidator, if any, that key id changed.
func (s *Service) invalidate(id string) {
	if s.inval != nil {
		s.inval.InvalidateKey(id)
	}
}
