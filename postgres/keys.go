package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const keyColumns = `id, user_id, label, prefix, hash, scopes, created, expires,
	prev_hash, prev_expires, rolled, last_used, last_used_addr, revoked`

// scanKey reads the columns of keyColumns.
func scanKey(row pgx.Row) (*gatehouse.APIKey, error) {
	var k gatehouse.APIKey
	var hash, prevHash []byte
	var scopes string
	var created time.Time
	var expires, prevExpires, rolled, lastUsed, revoked *time.Time
	err := row.Scan(&k.ID, &k.UserID, &k.Label, &k.Prefix, &hash, &scopes, &created, &expires,
		&prevHash, &prevExpires, &rolled, &lastUsed, &k.LastUsedAddr, &revoked)
	if err != nil {
		return nil, err
	}
	if k.Hash, err = toHash(hash); err != nil {
		return nil, err
	}
	if k.PrevHash, err = toHash(prevHash); err != nil {
		return nil, err
	}
	k.Scopes = toScopes(scopes)
	k.Created, k.Expires, k.PrevExpires = created.UTC(), fromTS(expires), fromTS(prevExpires)
	k.Rolled, k.LastUsed, k.Revoked = fromTS(rolled), fromTS(lastUsed), fromTS(revoked)
	return &k, nil
}

// CreateKey inserts k as it is; a zero Created is set to now. A label the
// owner already uses is a CodeConflict error, an owner that does not exist
// a CodeNotFound error.
func (s *Store) CreateKey(ctx context.Context, k *gatehouse.APIKey) error {
	if k.ID == "" {
		return gatehouse.Errorf(gatehouse.CodeInvalid, "an API key needs an id")
	}
	if k.Created.IsZero() {
		k.Created = stamp(s.now())
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (`+keyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		k.ID, k.UserID, k.Label, k.Prefix, k.Hash[:], k.Scopes.String(), k.Created, ts(k.Expires),
		hashValue(k.PrevHash), ts(k.PrevExpires), ts(k.Rolled), ts(k.LastUsed), k.LastUsedAddr, ts(k.Revoked))
	if err != nil {
		return fmt.Errorf("postgres: create api key %s: %w", k.ID, keyInsertError(err, k.Label))
	}
	return nil
}

// keyInsertError gives a client-safe reason for a failed insert.
func keyInsertError(err error, label string) error {
	switch c := constraint(err); {
	case c == "api_keys_label_key":
		return conflict(err, "a key labelled %q already exists", label)
	case c != "":
		return conflict(err, "a key with this id or secret already exists")
	case isForeignKey(err):
		return fmt.Errorf("%w: %w", notFound("No such user."), err)
	}
	return classify(err)
}

// Key returns the key with the given id, or a CodeNotFound error. It is one
// lookup by primary key, prepared once per connection by pgx's statement
// cache: the path authentication takes on a cache miss.
func (s *Store) Key(ctx context.Context, id string) (*gatehouse.APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: api key %s: %w", id, notFound("No such API key."))
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: api key %s: %w", id, classify(err))
	}
	return k, nil
}

// Keys lists the user's keys, newest first, revoked ones included.
func (s *Store) Keys(ctx context.Context, userID int64) ([]*gatehouse.APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE user_id = $1 ORDER BY created DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list api keys of user %d: %w", userID, classify(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.APIKey, error) { return scanKey(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list api keys of user %d: %w", userID, classify(err))
	}
	return out, nil
}

// lockLiveKey locks the key's row for the transaction and returns nil when
// it exists and is not revoked; CodeNotFound or CodeConflict otherwise.
func lockLiveKey(ctx context.Context, tx pgx.Tx, id string) error {
	var revoked *time.Time
	err := tx.QueryRow(ctx, `SELECT revoked FROM api_keys WHERE id = $1 FOR UPDATE`, id).Scan(&revoked)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return notFound("No such API key.")
	case err != nil:
		return err
	case revoked != nil:
		return gatehouse.Errorf(gatehouse.CodeConflict, "the key is revoked")
	}
	return nil
}

// RollKey replaces the key's hash with hash, keeps the old hash valid until
// prevExpires, sets Rolled to at and records a change, in one transaction.
func (s *Store) RollKey(ctx context.Context, id string, hash [32]byte, at, prevExpires time.Time) error {
	err := s.keyChange(ctx, id, func(tx pgx.Tx) error {
		if err := lockLiveKey(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE api_keys SET prev_hash = hash, prev_expires = $1, hash = $2, rolled = $3 WHERE id = $4`,
			ts(prevExpires), hash[:], ts(at), id)
		if constraint(err) != "" {
			return conflict(err, "a key with this secret already exists")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: roll api key %s: %w", id, err)
	}
	return nil
}

// RevokeKey sets Revoked to at and records a change. Revoking a revoked key
// is a CodeConflict error.
func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time) error {
	err := s.keyChange(ctx, id, func(tx pgx.Tx) error {
		if err := lockLiveKey(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE api_keys SET revoked = $1 WHERE id = $2`, ts(at), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: revoke api key %s: %w", id, err)
	}
	return nil
}

// DeleteKey removes the key and records a change.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	err := s.keyChange(ctx, id, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM api_keys WHERE id = $1`, id)
		return mustAffect(tag, err, "No such API key.")
	})
	if err != nil {
		return fmt.Errorf("postgres: delete api key %s: %w", id, err)
	}
	return nil
}

// keyChange runs fn and records a change of key id in one transaction.
func (s *Store) keyChange(ctx context.Context, id string, fn func(pgx.Tx) error) error {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, gatehouse.Change{KeyID: id})
	})
	return classify(err)
}

// mustAffect turns a statement that touched no row into a CodeNotFound
// error.
func mustAffect(tag pgconn.CommandTag, err error, msg string) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return notFound("%s", msg)
	}
	return nil
}

// TouchKeys records last uses in one transaction, sent as one batch. A use
// older than the stored one, or of a key that no longer exists, changes
// nothing.
func (s *Store) TouchKeys(ctx context.Context, uses []gatehouse.KeyUse) error {
	// Rows are locked in id order, so that two replicas touching the same
	// keys at once cannot deadlock.
	uses = slices.SortedFunc(slices.Values(uses), func(a, b gatehouse.KeyUse) int { return strings.Compare(a.KeyID, b.KeyID) })
	var b pgx.Batch
	for _, u := range uses {
		if u.At.IsZero() {
			continue
		}
		b.Queue(`UPDATE api_keys SET last_used = $1, last_used_addr = $2
			WHERE id = $3 AND (last_used IS NULL OR last_used < $1)`, u.At, u.Addr, u.KeyID)
	}
	if b.Len() == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() })
	if err != nil {
		return fmt.Errorf("postgres: touch %d api keys: %w", len(uses), classify(err))
	}
	return nil
}
