package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
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
	err := s.w.QueryRowContext(ctx, `INSERT INTO audit (time, action, actor_id, user_id, key_id, key_prefix, addr, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.UnixMilli(), e.Action, e.ActorID, e.UserID, e.KeyID, e.KeyPrefix, e.Addr, e.Reason, e.Detail).Scan(&id)
	if err != nil {
		return fmt.Errorf("sqlite: append audit event %s: %w", e.Action, classify(err))
	}
	e.ID, e.Time = id, t
	return nil
}

// auditQuery builds the query for f.
func auditQuery(f gatehouse.AuditFilter) (string, []any) {
	var where []string
	var args []any
	if f.UserID != 0 {
		where, args = append(where, "(user_id = ? OR actor_id = ?)"), append(args, f.UserID, f.UserID)
	}
	if f.KeyID != "" {
		where, args = append(where, "key_id = ?"), append(args, f.KeyID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "time >= ?"), append(args, f.Since.UnixMilli())
	}
	q := `SELECT id, time, action, actor_id, user_id, key_id, key_prefix, addr, reason, detail FROM audit`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " ORDER BY time DESC, id DESC LIMIT ?", append(args, auditLimit(f.Limit))
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
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list audit events: %w", classify(err))
	}
	defer rows.Close()
	var out []*gatehouse.AuditEvent
	for rows.Next() {
		var e gatehouse.AuditEvent
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Action, &e.ActorID, &e.UserID, &e.KeyID, &e.KeyPrefix, &e.Addr, &e.Reason, &e.Detail); err != nil {
			return nil, fmt.Errorf("sqlite: list audit events: %w", err)
		}
		e.Time = time.UnixMilli(t).UTC()
		out = append(out, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list audit events: %w", classify(err))
	}
	return out, nil
}
