package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

const sessionColumns = `hash, id, user_id, provider, issuer, sid, created, last_seen, expires,
	user_agent, addr, ended`

// sessionRetention is how long after its absolute expiry a session row is
// kept before CreateSession deletes it. Expired sessions no longer
// authenticate; the audit log keeps their history.
const sessionRetention = 24 * time.Hour

// scanSession reads the columns of sessionColumns.
func scanSession(row scanner) (*gatehouse.Session, error) {
	var s gatehouse.Session
	var hash []byte
	var created, lastSeen, expires, ended sql.NullInt64
	err := row.Scan(&hash, &s.ID, &s.UserID, &s.Provider, &s.Issuer, &s.SID, &created, &lastSeen, &expires,
		&s.UserAgent, &s.Addr, &ended)
	if err != nil {
		return nil, err
	}
	if s.Hash, err = toHash(hash); err != nil {
		return nil, err
	}
	s.Created, s.LastSeen, s.Expires, s.Ended = fromMillis(created), fromMillis(lastSeen), fromMillis(expires), fromMillis(ended)
	return &s, nil
}

// CreateSession inserts sess as it is (a zero LastSeen is stored as
// Created), and deletes sessions whose absolute expiry is more than a day
// before sess.Created, in one transaction.
func (s *Store) CreateSession(ctx context.Context, sess *gatehouse.Session) error {
	if err := validSession(sess); err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	if sess.LastSeen.IsZero() {
		sess.LastSeen = sess.Created
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sess.Hash[:], sess.ID, sess.UserID, sess.Provider, sess.Issuer, sess.SID, millis(sess.Created),
			millis(sess.LastSeen), millis(sess.Expires), sess.UserAgent, sess.Addr, millis(sess.Ended))
		if err != nil {
			return sessionInsertError(err)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires < ?`, sess.Created.Add(-sessionRetention).UnixMilli())
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: create session %s: %w", sess.ID, classify(err))
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
	case unique(err) != "":
		return conflict(err, "a session with this id or token already exists")
	case isForeignKey(err):
		return fmt.Errorf("%w: %w", notFound("No such user."), err)
	}
	return err
}

// SessionByHash returns the session whose token hashes to hash, or a
// CodeNotFound error. It is one lookup by primary key, the path every
// cookie-authenticated request takes.
func (s *Store) SessionByHash(ctx context.Context, hash [32]byte) (*gatehouse.Session, error) {
	stmt, err := s.prepared(ctx, &s.sessionQuery, `SELECT `+sessionColumns+` FROM sessions WHERE hash = ?`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: session by hash: %w", classify(err))
	}
	sess, err := scanSession(stmt.QueryRowContext(ctx, hash[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: session by hash: %w", notFound("No such session."))
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: session by hash: %w", classify(err))
	}
	return sess, nil
}

// Sessions lists the user's sessions that are not ended, newest first.
func (s *Store) Sessions(ctx context.Context, userID int64) ([]*gatehouse.Session, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = ? AND ended IS NULL ORDER BY created DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list sessions of user %d: %w", userID, classify(err))
	}
	defer rows.Close()
	var out []*gatehouse.Session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list sessions of user %d: %w", userID, err)
		}
		out = append(out, sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list sessions of user %d: %w", userID, classify(err))
	}
	return out, nil
}

// TouchSessions records uses in one transaction. A use older than the
// stored one, or of a session that is ended or gone, changes nothing.
func (s *Store) TouchSessions(ctx context.Context, uses []gatehouse.SessionUse) error {
	if len(uses) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE sessions SET last_seen = ?, addr = ?
			WHERE id = ? AND ended IS NULL AND last_seen < ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, u := range uses {
			if u.At.IsZero() {
				continue
			}
			at := u.At.UnixMilli()
			if _, err := stmt.ExecContext(ctx, at, u.Addr, u.SessionID, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: touch %d sessions: %w", len(uses), classify(err))
	}
	return nil
}

// EndSession sets the session's Ended to at; a session that does not exist
// or is already ended is a CodeNotFound error.
func (s *Store) EndSession(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET ended = ? WHERE id = ? AND ended IS NULL`, at.UnixMilli(), id)
	if err := mustAffect(res, err, "No such session."); err != nil {
		return fmt.Errorf("sqlite: end session %s: %w", id, classify(err))
	}
	return nil
}

// EndUserSessions ends the user's sessions that are not ended yet.
func (s *Store) EndUserSessions(ctx context.Context, userID int64, at time.Time) (int, error) {
	n, err := s.endWhere(ctx, at, `user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("sqlite: end sessions of user %d: %w", userID, err)
	}
	return n, nil
}

// EndSessionsBySID ends the sessions that issuer's sid names.
func (s *Store) EndSessionsBySID(ctx context.Context, issuer, sid string, at time.Time) (int, error) {
	if issuer == "" || sid == "" {
		return 0, gatehouse.Errorf(gatehouse.CodeInvalid, "ending sessions by sid needs an issuer and a sid")
	}
	n, err := s.endWhere(ctx, at, `issuer = ? AND sid = ?`, issuer, sid)
	if err != nil {
		return 0, fmt.Errorf("sqlite: end sessions by sid: %w", err)
	}
	return n, nil
}

// EndSessionsBySubject ends the user's sessions that came from issuer.
func (s *Store) EndSessionsBySubject(ctx context.Context, issuer string, userID int64, at time.Time) (int, error) {
	if issuer == "" {
		return 0, gatehouse.Errorf(gatehouse.CodeInvalid, "ending sessions by subject needs an issuer")
	}
	n, err := s.endWhere(ctx, at, `issuer = ? AND user_id = ?`, issuer, userID)
	if err != nil {
		return 0, fmt.Errorf("sqlite: end sessions of user %d from %s: %w", userID, issuer, err)
	}
	return n, nil
}

// endWhere ends the sessions that are not ended and match cond, and
// returns how many.
func (s *Store) endWhere(ctx context.Context, at time.Time, cond string, args ...any) (int, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE sessions SET ended = ? WHERE ended IS NULL AND `+cond,
		append([]any{at.UnixMilli()}, args...)...)
	if err != nil {
		return 0, classify(err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// prepared returns the statement in p, preparing query on the read pool on
// first use (not in Open: the tables do not exist before Migrate).
func (s *Store) prepared(ctx context.Context, p *atomic.Pointer[sql.Stmt], query string) (*sql.Stmt, error) {
	if st := p.Load(); st != nil {
		return st, nil
	}
	st, err := s.r.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if !p.CompareAndSwap(nil, st) {
		st.Close()
	}
	return p.Load(), nil
}
