package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migration is one numbered SQL file.
type migration struct {
	version string // the file name without ".sql", e.g. "0001_init"
	sql     string
}

// loadMigrations returns the embedded migrations in order.
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	out := make([]migration, 0, len(names))
	for _, n := range names {
		b, err := migrations.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{strings.TrimSuffix(path.Base(n), ".sql"), string(b)})
	}
	return out, nil
}

// Migrate applies the migrations the database lacks, each in its own
// transaction, and returns the versions it applied (such as "0001_init"),
// oldest first. It is safe to run from several processes at once: each
// migration is applied exactly once. A database that records a version this
// build does not know (it was migrated by a newer Gatehouse) is an error.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	all, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	if err := s.tx(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("sqlite: migrate: %w", err)
	}
	if err := s.checkKnown(ctx, all); err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range all {
		done, err := s.apply(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("sqlite: migrate %s: %w", m.version, err)
		}
		if done {
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

func createMigrationsTable(tx *sql.Tx) error {
	_, err := tx.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version TEXT PRIMARY KEY,
		applied INTEGER NOT NULL
	) STRICT`)
	return err
}

// apply runs m unless it is already recorded, and records it. It reports
// whether it ran m.
func (s *Store) apply(ctx context.Context, m migration) (bool, error) {
	ran := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n)
		if err != nil || n > 0 {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, m.version, s.now().UnixMilli())
		ran = err == nil
		return err
	})
	return ran, err
}

// checkKnown refuses a database migrated by a newer build.
func (s *Store) checkKnown(ctx context.Context, all []migration) error {
	done, err := s.applied(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	for _, v := range done {
		if !slices.ContainsFunc(all, func(m migration) bool { return m.version == v }) {
			return fmt.Errorf("sqlite: migrate: %s has migration %s, which this version of Gatehouse does not know: upgrade Gatehouse", s.path, v)
		}
	}
	return nil
}

// applied returns the recorded versions; none when the table is missing.
func (s *Store) applied(ctx context.Context) ([]string, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil || n == 0 {
		return nil, classify(err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Pending returns the versions of the migrations that Migrate would apply,
// oldest first. It changes nothing.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	all, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending migrations: %w", err)
	}
	done, err := s.applied(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending migrations: %w", err)
	}
	var out []string
	for _, m := range all {
		if !slices.Contains(done, m.version) {
			out = append(out, m.version)
		}
	}
	return out, nil
}
