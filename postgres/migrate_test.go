package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/postgres"
	"github.com/jackc/pgx/v5"
)

// exec runs q on schema through a connection of its own, as an operator's
// psql session would.
func exec(t *testing.T, schema, q string, args ...any) error {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `SET search_path TO `+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(t.Context(), q, args...)
	return err
}

func TestMigrate(t *testing.T) {
	schema := newSchema(t)
	s := open(t, schema)
	if _, err := s.Key(t.Context(), "k"); err == nil {
		t.Errorf("Key succeeded before Migrate: Open must not create tables")
	}
	all, err := s.Pending(t.Context())
	if err != nil || len(all) == 0 || all[0] != "0001_init" {
		t.Fatalf("Pending on a new database = %v, %v; want every migration, from 0001_init", all, err)
	}
	steps := []struct {
		name string
		want []string
	}{{"first", all}, {"again", nil}}
	for _, st := range steps {
		applied, err := s.Migrate(t.Context())
		if err != nil || !slices.Equal(applied, st.want) {
			t.Errorf("%s Migrate = %v, %v; want %v", st.name, applied, err, st.want)
		}
		if pending, err := s.Pending(t.Context()); err != nil || len(pending) != 0 {
			t.Errorf("%s Pending = %v, %v; want none", st.name, pending, err)
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	schema := newSchema(t)
	stores := []*postgres.Store{open(t, schema), open(t, schema), open(t, schema)}
	want, err := stores[0].Pending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		applied []string
		err     error
	}
	results := make(chan result, len(stores))
	for _, s := range stores {
		go func() {
			applied, err := s.Migrate(t.Context())
			results <- result{applied, err}
		}()
	}
	var all []string
	for range stores {
		r := <-results
		if r.err != nil {
			t.Errorf("Migrate: %v", r.err)
		}
		all = append(all, r.applied...)
	}
	slices.Sort(all)
	if !slices.Equal(all, want) {
		t.Errorf("concurrent Migrate applied %v in all, want each migration once", all)
	}
}

func TestMigrateRefusesNewerDatabase(t *testing.T) {
	schema := newSchema(t)
	s := migrated(t, schema)
	if err := exec(t, schema, `INSERT INTO schema_migrations (version) VALUES ('9999_future')`); err != nil {
		t.Fatal(err)
	}
	_, err := s.Migrate(t.Context())
	if err == nil || !strings.Contains(err.Error(), "9999_future") {
		t.Errorf("Migrate of a newer database: %v, want an error naming the unknown version", err)
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	schema := newSchema(t)
	s := migrated(t, schema)
	if err := s.AppendAudit(t.Context(), &gatehouse.AuditEvent{Action: gatehouse.ActionKeyRevoke}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit SET reason = 'forged'`, `DELETE FROM audit`, `TRUNCATE audit`} {
		if err := exec(t, schema, q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want the append-only error", q, err)
		}
	}
	got, err := s.AuditEvents(t.Context(), gatehouse.AuditFilter{})
	if err != nil || len(got) != 1 || got[0].Reason != "" {
		t.Errorf("AuditEvents after tampering = %v, %v", got, err)
	}
}

func TestOpenUnreachable(t *testing.T) {
	dsn(t)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens there, so the connection is refused.
	_, err := postgres.Open(ctx, "postgres://gatehouse:s3cret-pw@127.0.0.1:1/x?sslmode=disable&connect_timeout=5", postgres.Config{})
	if code := gatehouse.ErrorCode(err); code != gatehouse.CodeUnavailable {
		t.Errorf("Open of an unreachable database: code %q (%v), want unavailable", code, err)
	}
	if err != nil && strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("the error repeats the password: %v", err)
	}
	_, err = postgres.Open(ctx, "postgres://gatehouse:s3cret-pw@127.0.0.1:%zz/x", postgres.Config{})
	if err == nil || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("Open of a malformed DSN: %v, want an error without the password", err)
	}
}
