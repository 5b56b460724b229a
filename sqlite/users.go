package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
)

const userColumns = `id, issuer, subject, kind, email, name, role, disabled, created, updated, version, invitation_provider`

// scanUser reads the columns of userColumns.
func scanUser(row scanner) (*gatehouse.User, error) {
	var u gatehouse.User
	var created, updated sql.NullInt64
	err := row.Scan(&u.ID, &u.Issuer, &u.Subject, &u.Kind, &u.Email, &u.Name, &u.Role, &u.Disabled, &created, &updated, &u.Version, &u.InvitationProvider)
	if err != nil {
		return nil, err
	}
	u.Created, u.Updated = fromMillis(created), fromMillis(updated)
	return &u, nil
}

// CreateUser inserts u and sets its ID, Created, Updated and Version. A taken
// (Issuer, Subject) is a CodeConflict error.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("sqlite: create user: %w", err)
	}
	now := stamp(s.now())
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO users (issuer, subject, kind, email, name, role, disabled, created, updated, invitation_provider)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Issuer, u.Subject, u.Kind, u.Email, u.Name, u.Role, u.Disabled, now.UnixMilli(), now.UnixMilli(), u.InvitationProvider).Scan(&id)
	if unique(err) != "" {
		err = conflict(err, "a user with this identity already exists")
	}
	if err != nil {
		return fmt.Errorf("sqlite: create user %s: %w", u.Subject, classify(err))
	}
	u.ID, u.Created, u.Updated, u.Version = id, now, now, 1
	return nil
}

// User returns the user with the given id, or a CodeNotFound error.
func (s *Store) User(ctx context.Context, id int64) (*gatehouse.User, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id)
	return oneUser(row, fmt.Sprintf("user %d", id))
}

// UserByIdentity returns the user with the given issuer and subject, or a
// CodeNotFound error.
func (s *Store) UserByIdentity(ctx context.Context, issuer, subject string) (*gatehouse.User, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE issuer = ? AND subject = ?`, issuer, subject)
	return oneUser(row, "user "+subject)
}

// oneUser scans row, turning no row into a CodeNotFound error.
func oneUser(row *sql.Row, what string) (*gatehouse.User, error) {
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: %s: %w", what, notFound("No such user."))
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, classify(err))
	}
	return u, nil
}

// Users lists users in id order; a non-empty email selects the users with
// that email, compared case-insensitively (ASCII letters only).
func (s *Store) Users(ctx context.Context, email string) ([]*gatehouse.User, error) {
	q, args := `SELECT `+userColumns+` FROM users ORDER BY id`, []any{}
	if email != "" {
		q, args = `SELECT `+userColumns+` FROM users WHERE lower(email) = lower(?) ORDER BY id`, []any{email}
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", classify(err))
	}
	defer rows.Close()
	var out []*gatehouse.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list users: %w", classify(err))
	}
	return out, nil
}

// UpdateUser saves u's Email, Name, Role and Disabled, sets u.Updated,
// increases u.Version and records a change for the user, in one
// transaction, if the stored Version is still u.Version; otherwise it
// changes nothing and returns a CodeConflict error.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("sqlite: update user %d: %w", u.ID, err)
	}
	now := stamp(s.now())
	var version int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE users SET email = ?, name = ?, role = ?, disabled = ?, updated = ?, version = version + 1
			WHERE id = ? AND version = ? RETURNING version`,
			u.Email, u.Name, u.Role, u.Disabled, now.UnixMilli(), u.ID, u.Version).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			return staleOrMissing(ctx, tx, u.ID)
		}
		if err != nil {
			return err
		}
		return s.recordChange(ctx, tx, gatehouse.Change{UserID: u.ID})
	})
	if err != nil {
		return fmt.Errorf("sqlite: update user %d: %w", u.ID, classify(err))
	}
	u.Updated, u.Version = now, version
	s.wakeWatchers()
	return nil
}

// staleOrMissing explains why an update of user id at a version matched no
// row: CodeNotFound when there is no such user, CodeConflict when it has
// changed since it was read.
func staleOrMissing(ctx context.Context, tx *sql.Tx, id int64) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("No such user.")
	}
	if err != nil {
		return err
	}
	return gatehouse.Errorf(gatehouse.CodeConflict, "The user has changed since it was read; read it again.")
}

// AcceptInvitation links an invitation to the identity that signed in.
func (s *Store) AcceptInvitation(ctx context.Context, id int64, issuer, subject string) error {
	if issuer == "" || subject == "" || issuer == gatehouse.IssuerInvited {
		return gatehouse.Errorf(gatehouse.CodeInvalid, "an invitation is accepted by a real identity")
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET issuer = ?, subject = ?, invitation_provider = '', updated = ?, version = version + 1 WHERE id = ? AND issuer = ?`,
			issuer, subject, stamp(s.now()).UnixMilli(), id, gatehouse.IssuerInvited)
		if err := mustAffect(res, err, "No such invitation."); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, gatehouse.Change{UserID: id})
	})
	if unique(err) != "" {
		err = conflict(err, "another user has this identity")
	}
	if err != nil {
		return fmt.Errorf("sqlite: accept invitation %d: %w", id, classify(err))
	}
	s.wakeWatchers()
	return nil
}

// mustAffect turns an update of no row into a CodeNotFound error.
func mustAffect(res sql.Result, err error, msg string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("%s", msg)
	}
	return nil
}
