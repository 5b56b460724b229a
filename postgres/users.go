package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/jackc/pgx/v5"
)

const userColumns = `id, issuer, subject, kind, email, name, role, disabled, created, updated, version, invitation_provider`

// scanUser reads the columns of userColumns.
func scanUser(row pgx.Row) (*gatehouse.User, error) {
	var u gatehouse.User
	var kind, role string
	var created, updated time.Time
	err := row.Scan(&u.ID, &u.Issuer, &u.Subject, &kind, &u.Email, &u.Name, &role, &u.Disabled, &created, &updated, &u.Version, &u.InvitationProvider)
	if err != nil {
		return nil, err
	}
	u.Kind, u.Role = gatehouse.UserKind(kind), gatehouse.Role(role)
	u.Created, u.Updated = created.UTC(), updated.UTC()
	return &u, nil
}

// CreateUser inserts u and sets its ID, Created, Updated and Version. A taken
// (Issuer, Subject) is a CodeConflict error.
func (s *Store) CreateUser(ctx context.Context, u *gatehouse.User) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("postgres: create user: %w", err)
	}
	now := stamp(s.now())
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO users (issuer, subject, kind, email, name, role, disabled, created, updated, invitation_provider)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING id`,
		u.Issuer, u.Subject, string(u.Kind), u.Email, u.Name, string(u.Role), u.Disabled, now, u.InvitationProvider).Scan(&id)
	if constraint(err) != "" {
		err = conflict(err, "a user with this identity already exists")
	}
	if err != nil {
		return fmt.Errorf("postgres: create user %s: %w", u.Subject, classify(err))
	}
	u.ID, u.Created, u.Updated, u.Version = id, now, now, 1
	return nil
}

// User returns the user with the given id, or a CodeNotFound error.
func (s *Store) User(ctx context.Context, id int64) (*gatehouse.User, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id)
	return oneUser(row, fmt.Sprintf("user %d", id))
}

// UserByIdentity returns the user with the given issuer and subject, or a
// CodeNotFound error.
func (s *Store) UserByIdentity(ctx context.Context, issuer, subject string) (*gatehouse.User, error) {
	row := s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE issuer = $1 AND subject = $2`, issuer, subject)
	return oneUser(row, "user "+subject)
}

// oneUser scans row, turning no row into a CodeNotFound error.
func oneUser(row pgx.Row, what string) (*gatehouse.User, error) {
	u, err := scanUser(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: %s: %w", what, notFound("No such user."))
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: %s: %w", what, classify(err))
	}
	return u, nil
}

// Users lists users in id order; a non-empty email selects the users with
// that email, compared case-insensitively.
func (s *Store) Users(ctx context.Context, email string) ([]*gatehouse.User, error) {
	q, args := `SELECT `+userColumns+` FROM users ORDER BY id`, []any{}
	if email != "" {
		q, args = `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1) ORDER BY id`, []any{email}
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", classify(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*gatehouse.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: list users: %w", classify(err))
	}
	return out, nil
}

// UpdateUser saves u's Email, Name, Role and Disabled, sets u.Updated,
// increases u.Version and records a change for the user, in one
// transaction, if the stored Version is still u.Version; otherwise it
// changes nothing and returns a CodeConflict error.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("postgres: update user %d: %w", u.ID, err)
	}
	now := stamp(s.now())
	var version int64
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE users SET email = $1, name = $2, role = $3, disabled = $4, updated = $5, version = version + 1
			WHERE id = $6 AND version = $7 RETURNING version`,
			u.Email, u.Name, string(u.Role), u.Disabled, now, u.ID, u.Version).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return staleOrMissing(ctx, tx, u.ID)
		}
		if err != nil {
			return err
		}
		return s.recordChange(ctx, tx, gatehouse.Change{UserID: u.ID})
	})
	if err != nil {
		return fmt.Errorf("postgres: update user %d: %w", u.ID, classify(err))
	}
	u.Updated, u.Version = now, version
	return nil
}

// staleOrMissing explains why an update of user id at a version matched no
// row: CodeNotFound when there is no such user, CodeConflict when it has
// changed since it was read.
func staleOrMissing(ctx context.Context, tx pgx.Tx, id int64) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE id = $1`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
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
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET issuer = $1, subject = $2, invitation_provider = '', updated = $3, version = version + 1 WHERE id = $4 AND issuer = $5`,
			issuer, subject, stamp(s.now()), id, gatehouse.IssuerInvited)
		if err := mustAffect(tag, err, "No such invitation."); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, gatehouse.Change{UserID: id})
	})
	if constraint(err) != "" {
		err = conflict(err, "another user has this identity")
	}
	if err != nil {
		return fmt.Errorf("postgres: accept invitation %d: %w", id, classify(err))
	}
	return nil
}
