package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

const keyColumns = `id, user_id, label, prefix, hash, scopes, created, expires,
	prev_hash, prev_expires, rolled, last_used, last_used_addr, revoked`

// scanKey reads the columns of keyColumns.
func scanKey(row scanner) (*gatehouse.APIKey, error) {
	var k gatehouse.APIKey
	var hash, prevHash []byte
	var scopes string
	var created, expires, prevExpires, rolled, lastUsed, revoked sql.NullInt64
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
	k.Created, k.Expires, k.PrevExpires = fromMillis(created), fromMillis(expires), fromMillis(prevExpires)
	k.Rolled, k.LastUsed, k.Revoked = fromMillis(rolled), fromMillis(lastUsed), fromMillis(revoked)
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
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_keys (`+keyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.UserID, k.Label, k.Prefix, k.Hash[:], scopesValue(k.Scopes), millis(k.Created), millis(k.Expires),
		hashValue(k.PrevHash), millis(k.PrevExpires), millis(k.Rolled), millis(k.LastUsed), k.LastUsedAddr, millis(k.Revoked))
	if err != nil {
		return fmt.Errorf("sqlite: create api key %s: %w", k.ID, keyInsertError(err, k.Label))
	}
	return nil
}

// keyInsertError gives a client-safe reason for a failed insert.
func keyInsertError(err error, label string) error {
	cols := unique(err)
	switch {
	case strings.Contains(cols, "label"):
		return conflict(err, "a key labelled %q already exists", label)
	case cols != "":
		return conflict(err, "a key with this id or secret already exists")
	case isForeignKey(err):
		return fmt.Errorf("%w: %w", notFound("No such user."), err)
	}
	return classify(err)
}

// Key returns the key with the given id, or a CodeNotFound error. It is one
// lookup by primary key: the path authentication takes on a cache miss.
func (s *Store) Key(ctx context.Context, id string) (*gatehouse.APIKey, error) {
	stmt, err := s.keyStmt(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: api key %s: %w", id, classify(err))
	}
	k, err := scanKey(stmt.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: api key %s: %w", id, notFound("No such API key."))
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: api key %s: %w", id, classify(err))
	}
	return k, nil
}

// Keys lists the user's keys, newest first, revoked ones included.
func (s *Store) Keys(ctx context.Context, userID int64) ([]*gatehouse.APIKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE user_id = ? ORDER BY created DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list api keys of user %d: %w", userID, classify(err))
	}
	defer rows.Close()
	var out []*gatehouse.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list api keys of user %d: %w", userID, err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list api keys of user %d: %w", userID, classify(err))
	}
	return out, nil
}

// keyState returns whether the key exists and is revoked, as errors:
// CodeNotFound, CodeConflict for a revoked key, or nil.
func keyState(ctx context.Context, tx *sql.Tx, id string) error {
	var revoked sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT revoked FROM api_keys WHERE id = ?`, id).Scan(&revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return notFound("No such API key.")
	case err != nil:
		return err
	case revoked.Valid:
		return gatehouse.Errorf(gatehouse.CodeConflict, "the key is revoked")
	}
	return nil
}

// RollKey replaces the key's hash with hash, keeps the old hash valid until
// prevExpires, sets Rolled to at and records a change, in one transaction.
func (s *Store) RollKey(ctx context.Context, id string, hash [32]byte, at, prevExpires time.Time) error {
	err := s.keyChange(ctx, id, func(tx *sql.Tx) error {
		if err := keyState(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET prev_hash = hash, prev_expires = ?, hash = ?, rolled = ? WHERE id = ?`,
			millis(prevExpires), hash[:], millis(at), id)
		if unique(err) != "" {
			return conflict(err, "a key with this secret already exists")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: roll api key %s: %w", id, err)
	}
	return nil
}

// RevokeKey sets Revoked to at and records a change. Revoking a revoked key
// is a CodeConflict error.
func (s *Store) RevokeKey(ctx context.Context, id string, at time.Time) error {
	err := s.keyChange(ctx, id, func(tx *sql.Tx) error {
		if err := keyState(ctx, tx, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked = ? WHERE id = ?`, millis(at), id)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: revoke api key %s: %w", id, err)
	}
	return nil
}

// DeleteKey removes the key and records a change.
func (s *Store) DeleteKey(ctx context.Context, id string) error {
	err := s.keyChange(ctx, id, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id)
		return mustAffect(res, err, "No such API key.")
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete api key %s: %w", id, err)
	}
	return nil
}

// keyChange runs fn and records a change of key id in one transaction, then
// wakes this Store's watchers.
func (s *Store) keyChange(ctx context.Context, id string, fn func(*sql.Tx) error) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, gatehouse.Change{KeyID: id})
	})
	if err != nil {
		return classify(err)
	}
	s.wakeWatchers()
	return nil
}

// TouchKeys records last uses in one transaction. A use older than the
// stored one, or of a key that no longer exists, changes nothing.
func (s *Store) TouchKeys(ctx context.Context, uses []gatehouse.KeyUse) error {
	if len(uses) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE api_keys SET last_used = ?, last_used_addr = ?
			WHERE id = ? AND (last_used IS NULL OR last_used < ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, u := range uses {
			if u.At.IsZero() {
				continue
			}
			at := u.At.UnixMilli()
			if _, err := stmt.ExecContext(ctx, at, u.Addr, u.KeyID, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: touch %d api keys: %w", len(uses), classify(err))
	}
	return nil
}

// keyStmt returns the prepared statement of Key, preparing it on first use
// (not in Open: the table does not exist before Migrate).
func (s *Store) keyStmt(ctx context.Context) (*sql.Stmt, error) {
	if st := s.keyQuery.Load(); st != nil {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`)
	if err != nil {
		return nil, err
	}
	if !s.keyQuery.CompareAndSwap(nil, st) {
		st.Close()
	}
	return s.keyQuery.Load(), nil
}
