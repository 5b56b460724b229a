package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// CertData returns the blob stored under name, or a CodeNotFound error.
func (s *Store) CertData(ctx context.Context, name string) ([]byte, error) {
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM cert_cache WHERE name = $1`, name).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: cert data %s: %w", name, notFound("No such certificate data."))
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: cert data %s: %w", name, classify(err))
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// PutCertData stores data under name, replacing what was there.
func (s *Store) PutCertData(ctx context.Context, name string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO cert_cache (name, data, updated) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated = excluded.updated`,
		name, data, s.now())
	if err != nil {
		return fmt.Errorf("postgres: put cert data %s: %w", name, classify(err))
	}
	return nil
}

// DeleteCertData removes the blob stored under name; a missing name is not
// an error.
func (s *Store) DeleteCertData(ctx context.Context, name string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM cert_cache WHERE name = $1`, name); err != nil {
		return fmt.Errorf("postgres: delete cert data %s: %w", name, classify(err))
	}
	return nil
}
