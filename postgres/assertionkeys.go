package postgres

import (
	"context"
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
	_, err := s.pool.Exec(ctx, `INSERT INTO assertion_keys
		(kid, alg, private_key, not_before, not_after, expires, created) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT DO NOTHING`,
		k.KID, k.Alg, k.PrivateKey, k.NotBefore, k.NotAfter, k.Expires, k.Created)
	if err != nil {
		return fmt.Errorf("postgres: add assertion key %s: %w", k.KID, classify(err))
	}
	return nil
}

// AssertionKeys returns the keys that expire after t, ordered by NotBefore
// then KID.
func (s *Store) AssertionKeys(ctx context.Context, t time.Time) ([]*gatehouse.AssertionKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT kid, alg, private_key, not_before, not_after, expires, created
		FROM assertion_keys WHERE expires > $1 ORDER BY not_before, kid`, t)
	if err != nil {
		return nil, fmt.Errorf("postgres: assertion keys: %w", classify(err))
	}
	defer rows.Close()
	var keys []*gatehouse.AssertionKey
	for rows.Next() {
		var k gatehouse.AssertionKey
		if err := rows.Scan(&k.KID, &k.Alg, &k.PrivateKey, &k.NotBefore, &k.NotAfter, &k.Expires, &k.Created); err != nil {
			return nil, fmt.Errorf("postgres: assertion keys: %w", err)
		}
		k.NotBefore, k.NotAfter, k.Expires, k.Created = k.NotBefore.UTC(), k.NotAfter.UTC(), k.Expires.UTC(), k.Created.UTC()
		keys = append(keys, &k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: assertion keys: %w", classify(err))
	}
	return keys, nil
}

// DeleteAssertionKeys removes the keys that expire at or before t.
func (s *Store) DeleteAssertionKeys(ctx context.Context, t time.Time) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM assertion_keys WHERE expires <= $1`, t); err != nil {
		return fmt.Errorf("postgres: delete assertion keys: %w", classify(err))
	}
	return nil
}
