package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// AddAssertionKey inserts k unless a key of the same algorithm and signing
// period (or kid) is stored, in which case it changes nothing. A zero
// Created is set to now.
func (s *Store) AddAssertionKey(ctx context.Context, k *gatehouse.AssertionKey) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if k.Created.IsZero() {
		k.Created = stamp(s.now())
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO assertion_keys
		(kid, alg, private_key, not_before, not_after, expires, created) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		k.KID, k.Alg, k.PrivateKey, k.NotBefore.UnixMilli(), k.NotAfter.UnixMilli(), k.Expires.UnixMilli(), k.Created.UnixMilli())
	if err != nil {
		return fmt.Errorf("sqlite: add assertion key %s: %w", k.KID, classify(err))
	}
	return nil
}

// AssertionKeys returns the keys that expire after t, ordered by NotBefore
// then KID.
func (s *Store) AssertionKeys(ctx context.Context, t time.Time) ([]*gatehouse.AssertionKey, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kid, alg, private_key, not_before, not_after, expires, created
		FROM assertion_keys WHERE expires > ? ORDER BY not_before, kid`, t.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("sqlite: assertion keys: %w", classify(err))
	}
	defer rows.Close()
	var keys []*gatehouse.AssertionKey
	for rows.Next() {
		var k gatehouse.AssertionKey
		var nb, na, exp, created sql.NullInt64
		if err := rows.Scan(&k.KID, &k.Alg, &k.PrivateKey, &nb, &na, &exp, &created); err != nil {
			return nil, fmt.Errorf("sqlite: assertion keys: %w", err)
		}
		k.NotBefore, k.NotAfter, k.Expires, k.Created = fromMillis(nb), fromMillis(na), fromMillis(exp), fromMillis(created)
		keys = append(keys, &k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: assertion keys: %w", classify(err))
	}
	return keys, nil
}

// DeleteAssertionKeys removes the keys that expire at or before t.
func (s *Store) DeleteAssertionKeys(ctx context.Context, t time.Time) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM assertion_keys WHERE expires <= ?`, t.UnixMilli()); err != nil {
		return fmt.Errorf("sqlite: delete assertion keys: %w", classify(err))
	}
	return nil
}
