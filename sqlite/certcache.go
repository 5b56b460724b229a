package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// CertData returns the blob stored under name, or a CodeNotFound error.
func (s *Store) CertData(ctx context.Context, name string) ([]byte, error) {
	var data []byte
	err := s.r.QueryRowContext(ctx, `SELECT data FROM cert_cache WHERE name = ?`, name).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: cert data %s: %w", name, notFound("No such certificate data."))
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: cert data %s: %w", name, classify(err))
	}
	return data, nil
}

// PutCertData stores data under name, replacing what was there.
func (s *Store) PutCertData(ctx context.Context, name string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO cert_cache (name, data, updated) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET data = excluded.data, updated = excluded.updated`,
		name, data, s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("sqlite: put cert data %s: %w", name, classify(err))
	}
	return nil
}

// DeleteCertData removes the blob stored under name; a missing name is not
// an error.
func (s *Store) DeleteCertData(ctx context.Context, name string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM cert_cache WHERE name = ?`, name); err != nil {
		return fmt.Errorf("sqlite: delete cert data %s: %w", name, classify(err))
	}
	return nil
}
