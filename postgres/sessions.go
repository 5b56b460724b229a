package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/jackc/pgx/v5"
)

const sessionColumns = `hash, id, user_id, provider, issuer, sid, created, last_seen, expires,
	user_agent, addr, ended`

// sessionRetention is how long after its absolute expiry a session row is
// kept before CreateSession deletes it. Expired sessions no longer
// authenticate; the audit log keeps their history.
const sessionRetention = 24 * time.Hour

// scanSession reads the columns of sessionColumns.
func scanSession(row pgx.Row) (*gatehouse.Session, error) {
	var s gatehouse.Session
	var hash []byte
	var created, lastSeen, expires time.Time
	var ended *time.Time
	err := row.Scan(&hash, &s.ID, &s.UserID, &s.Provider, &s.Issuer, &s.SID, &created, &lastSeen, &expires,
		&s.UserAgent, &s.Addr, &ended)
	if err != nil {
		return nil, err
	}
	if s.Hash, err = toHash(hash); err != nil {
		return nil, err
	}
	s.Created, s.LastSeen, s.Expires, s.Ended = created.UTC(), lastSeen.UTC(), expires.UTC(), fromTS(ended)
	return &s, nil
}

// CreateSession inserts sess as it is (a zero LastSeen is stored as
// Created), and deletes sessions whose absolute expiry is more than a day
// before sess.Created, in one transaction.
func (s *Store) CreateSession(ctx context.Context, sess *gatehouse.Session) error {
	if err := validSession(sess); err != nil {
		return fmt.Errorf("postgres: create session: %w", err)
	}
	if sess.LastSeen.IsZero() {
		sess.LastSeen = sess.Created
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			sess.Hash[:], sess.ID, sess.UserID, sess.Provider, sess.Issuer, sess.SID, sess.Created,
			sess.LastSeen, sess.Expires, sess.UserAgent, sess.Addr, ts(sess.Ended))
		if err != nil {
			return sessionInsertError(err)
		}
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE expires < $1`, sess.Created.Add(-sessionRetention))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: create session %s: %w", sess.ID, classify(err))
	}
	return nil
}

// validSession checks the fields every stored session needs.
func validSession(s *gatehouse.Session) error {
	switch {
	case s.ID == "" || s.Hash == [32]byte{} || s.UserID == 0:
		return gatehouse.Errorf(gatehouse.CodeInvalid, "a session needs an id, a hash and a user")
	case s.Created.IsZero() || s.Expires.IsZero():
		return gatehouse.Errorf(gatehouse.CodeInvalid, "a session needs a creation and an expiry time")
	}
	return nil
}

// sessionInsertError gives a client-safe reason for a failed insert.
func sessionInsertError(err error) error {
	switch {
	case constraint(err) != "":
		return conflict(err, "a session with this id or token already exists")
	case isForeignKey(err):
		return fmt.Errorf("%w: %w", notFound("No such user."), err)
	}
	return err
}

// SessionByHash returns the session whose token hashes to hash, or a
// CodeNotFound error. It is one lookup by primary key, prepared once per
// connection by pgx's statement cache: the path every cookie-authenticated
// request takes.
func (s *Store) SessionByHash(ctx context.Context, hash [32]byte) (*gatehouse.Session, error) {
	sess, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE hash = $1`, hash[:]))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: session by hash: %w", notFound("No such session."))
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: session by hash: %w", classify(err))
	}
	return sess, nil
}

// Sessions lists the user's sessions that are not ended, newest first.
func (s *Store) Sessions(ctx context.Context, userID int64) ([]*gatehouse.Session, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = $1 AND ended IS NULL ORDER BY created DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list sessions of user %d: %w", userID, classify(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.Session, error) { return scanSession(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list sessions of user %d: %w", userID, classify(err))
	}
	return out, nil
}

// TouchSessions records uses in one transaction, sent as one batch. A use
// older than the stored one, or of a session that is ended or gone,
// changes nothing.
func (s *Store) TouchSessions(ctx context.Context, uses []gatehouse.SessionUse) error {
	// Rows are locked in id order, so that two replicas touching the same
	// sessions at once cannot deadlock.
	uses = slices.SortedFunc(slices.Values(uses), func(a, b gatehouse.SessionUse) int {
		return strings.Compare(a.SessionID, b.SessionID)
	})
	var b pgx.Batch
	for _, u := range uses {
		if u.At.IsZero() {
			continue
		}
		b.Queue(`UPDATE sessions SET last_seen = $1, addr = $2
			WHERE id = $3 AND ended IS NULL AND last_seen < $1`, u.At, u.Addr, u.SessionID)
	}
	if b.Len() == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, &b).Close() })
	if err != nil {
		return fmt.Errorf("postgres: touch %d sessions: %w", len(uses), classify(err))
	}
	return nil
}

// EndSession sets the session's Ended to at; a session that does not exist
// or is already ended is a CodeNotFound error.
func (s *Store) EndSession(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET ended = $1 WHERE id = $2 AND ended IS NULL`, at, id)
	if err := mustAffect(tag, err, "No such session."); err != nil {
		return fmt.Errorf("postgres: end session %s: %w", id, classify(err))
	}
	return nil
}

// EndUserSessions ends the user's sessions that are not ended yet.
func (s *Store) EndUserSessions(ctx context.Context, userID int64, at time.Time) (int, error) {
	n, err := s.endWhere(ctx, at, `user_id = $2`, userID)
	if err != nil {
		return 0, fmt.Errorf("postgres: end sessions of user %d: %w", userID, err)
	}
	return n, nil
}

// EndSessionsBySID ends the sessions that issuer's sid names.
func (s *Store) EndSessionsBySID(ctx context.Context, issuer, sid string, at time.Time) (int, error) {
	if issuer == "" || sid == "" {
		return 0, gatehouse.Errorf(gatehouse.CodeInvalid, "ending sessions by sid needs an issuer and a sid")
	}
	n, err := s.endWhere(ctx, at, `issuer = $2 AND sid = $3`, issuer, sid)
	if err != nil {
		return 0, fmt.Errorf("postgres: end sessions by sid: %w", err)
	}
	return n, nil
}

// EndSessionsBySubject ends the user's sessions that came from issuer.
func (s *Store) EndSessionsBySubject(ctx context.Context, issuer string, userID int64, at time.Time) (int, error) {
	if issuer == "" {
		return 0, gatehouse.Errorf(gatehouse.CodeInvalid, "ending sessions by subject needs an issuer")
	}
	n, err := s.endWhere(ctx, at, `issuer = $2 AND user_id = $3`, issuer, userID)
	if err != nil {
		return 0, fmt.Errorf("postgres: end sessions of user %d from %s: %w", userID, issuer, err)
	}
	return n, nil
}

// endWhere ends the sessions that are not ended and match cond (whose
// parameters start at $2), and returns how many.
func (s *Store) endWhere(ctx context.Context, at time.Time, cond string, args ...any) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET ended = $1 WHERE ended IS NULL AND `+cond, append([]any{at}, args...)...)
	if err != nil {
		return 0, classify(err)
	}
	return int(tag.RowsAffected()), nil
}
