package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
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

// migrateLock is the advisory lock that serialises migrations of every
// Gatehouse database on the server, so that replicas starting together
// apply each migration once.
const migrateLock = `SELECT pg_advisory_xact_lock(7164281958)`

// Migrate creates Config.Schema if it is set and missing, applies the
// migrations the database lacks, each in its own transaction, and returns
// the versions it applied (such as "0001_init"), oldest first. It is safe
// to run from several processes at once. A database that records a version
// this build does not know (it was migrated by a newer Gatehouse) is an
// error.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	all, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := s.tx(ctx, func(tx pgx.Tx) error { return s.prepareMigrations(ctx, tx) }); err != nil {
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := s.checkKnown(ctx, all); err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range all {
		done, err := s.apply(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("postgres: migrate %s: %w", m.version, classify(err))
		}
		if done {
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

// prepareMigrations creates the schema and the table of applied versions.
func (s *Store) prepareMigrations(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, migrateLock); err != nil {
		return err
	}
	if s.schema != "" {
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{s.schema}.Sanitize()); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version text PRIMARY KEY,
		applied timestamptz NOT NULL DEFAULT now()
	)`)
	return err
}

// apply runs m unless it is already recorded, and records it. It reports
// whether it ran m.
func (s *Store) apply(ctx context.Context, m migration) (bool, error) {
	ran := false
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, migrateLock); err != nil {
			return err
		}
		var n int
		err := tx.QueryRow(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&n)
		if err != nil || n > 0 {
			return err
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, m.version)
		ran = err == nil
		return err
	})
	return ran, err
}

// checkKnown refuses a database migrated by a newer build.
func (s *Store) checkKnown(ctx context.Context, all []migration) error {
	done, err := s.applied(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, v := range done {
		if !slices.ContainsFunc(all, func(m migration) bool { return m.version == v }) {
			return fmt.Errorf("postgres: migrate: the database has migration %s, which this version of Gatehouse does not know: upgrade Gatehouse", v)
		}
	}
	return nil
}

// applied returns the recorded versions; none when the table is missing.
func (s *Store) applied(ctx context.Context) ([]string, error) {
	var exists bool
	err := s.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists)
	if err != nil || !exists {
		return nil, classify(err)
	}
	rows, err := s.pool.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, classify(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return out, classify(err)
}

// Pending returns the versions of the migrations that Migrate would apply,
// oldest first. It changes nothing.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	all, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("postgres: pending migrations: %w", err)
	}
	done, err := s.applied(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending migrations: %w", err)
	}
	var out []string
	for _, m := range all {
		if !slices.Contains(done, m.version) {
			out = append(out, m.version)
		}
	}
	return out, nil
}
