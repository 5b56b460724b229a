package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/jackc/pgx/v5"
)

// The number of events AuditEvents returns when the filter has no Limit,
// and the most it returns whatever the Limit.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

// AppendAudit inserts e, setting its ID, and its Time when zero. Triggers
// in the schema refuse any later update or deletion of an event.
func (s *Store) AppendAudit(ctx context.Context, e *gatehouse.AuditEvent) error {
	t := e.Time
	if t.IsZero() {
		t = s.now()
	}
	t = stamp(t)
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO audit (time, action, actor_id, user_id, key_id, key_prefix, addr, reason, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		t, string(e.Action), e.ActorID, e.UserID, e.KeyID, e.KeyPrefix, e.Addr, e.Reason, e.Detail).Scan(&id)
	if err != nil {
		return fmt.Errorf("postgres: append audit event %s: %w", e.Action, classify(err))
	}
	e.ID, e.Time = id, t
	return nil
}

// auditQuery builds the query for f.
func auditQuery(f gatehouse.AuditFilter) (string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.UserID != 0 {
		p := arg(f.UserID)
		where = append(where, "(user_id = "+p+" OR actor_id = "+p+")")
	}
	if f.KeyID != "" {
		where = append(where, "key_id = "+arg(f.KeyID))
	}
	if !f.Since.IsZero() {
		where = append(where, "time >= "+arg(f.Since))
	}
	q := `SELECT id, time, action, actor_id, user_id, key_id, key_prefix, addr, reason, detail FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY time DESC, id DESC LIMIT " + arg(auditLimit(f.Limit)), args
}

// auditLimit applies the default and the cap to a filter's Limit.
func auditLimit(n int) int {
	if n <= 0 {
		return defaultAuditLimit
	}
	return min(n, maxAuditLimit)
}

// AuditEvents returns the events f selects, newest first: at most f.Limit
// of them (100 when zero, never more than 1000).
func (s *Store) AuditEvents(ctx context.Context, f gatehouse.AuditFilter) ([]*gatehouse.AuditEvent, error) {
	q, args := auditQuery(f)
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit events: %w", classify(err))
	}
	out, err := pgx.CollectRows(rows, scanEvent)
	if err != nil {
		return nil, fmt.Errorf("postgres: list audit events: %w", classify(err))
	}
	return out, nil
}

// scanEvent reads one row of auditQuery.
func scanEvent(row pgx.CollectableRow) (*gatehouse.AuditEvent, error) {
	var e gatehouse.AuditEvent
	var t time.Time
	var action string
	err := row.Scan(&e.ID, &t, &action, &e.ActorID, &e.UserID, &e.KeyID, &e.KeyPrefix, &e.Addr, &e.Reason, &e.Detail)
	e.Time, e.Action = t.UTC(), gatehouse.Action(action)
	return &e, err
}
