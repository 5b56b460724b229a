package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
)

const loginColumns = `state, browser_hash, provider, nonce, verifier, return_to, created, expires`

// PutLogin inserts f and deletes the flows that have expired, in one
// transaction. A State in use is a CodeConflict error.
func (s *Store) PutLogin(ctx context.Context, f *gatehouse.LoginFlow) error {
	if f.State == "" || f.BrowserHash == [32]byte{} || f.Created.IsZero() || f.Expires.IsZero() {
		return gatehouse.Errorf(gatehouse.CodeInvalid, "a login flow needs a state, a browser hash, a creation and an expiry time")
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_flows WHERE expires <= ?`, s.now().UnixMilli()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO login_flows (`+loginColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			f.State, f.BrowserHash[:], f.Provider, f.Nonce, f.Verifier, f.ReturnTo, millis(f.Created), millis(f.Expires))
		if unique(err) != "" {
			return conflict(err, "a login flow with this state already exists")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: put login flow: %w", classify(err))
	}
	return nil
}

// TakeLogin deletes the flow with the given state and returns it. A flow
// that is missing or expired is a CodeNotFound error (an expired one is
// deleted all the same).
func (s *Store) TakeLogin(ctx context.Context, state string) (*gatehouse.LoginFlow, error) {
	var f gatehouse.LoginFlow
	var hash []byte
	var created, expires sql.NullInt64
	err := s.w.QueryRowContext(ctx, `DELETE FROM login_flows WHERE state = ? RETURNING `+loginColumns, state).
		Scan(&f.State, &hash, &f.Provider, &f.Nonce, &f.Verifier, &f.ReturnTo, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: take login flow: %w", notFound("No such login in progress."))
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: take login flow: %w", classify(err))
	}
	if f.BrowserHash, err = toHash(hash); err != nil {
		return nil, fmt.Errorf("sqlite: take login flow: %w", err)
	}
	f.Created, f.Expires = fromMillis(created), fromMillis(expires)
	if !s.now().Before(f.Expires) {
		return nil, fmt.Errorf("sqlite: take login flow: %w", notFound("The login has expired."))
	}
	return &f, nil
}
