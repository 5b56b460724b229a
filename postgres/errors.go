package postgres

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/jackc/pgx/v5/pgconn"
)

// unavailable reports whether err means the database cannot be reached or
// is refusing work for now.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03", "53300": // shutdown, crash, starting up, too many connections
			return true
		}
		return strings.HasPrefix(pe.Code, "08") // connection exception
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// classify adds CodeUnavailable to errors that mean the database cannot
// be reached; other errors are returned as they are.
func classify(err error) error {
	if err == nil || !unavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.CodeUnavailable, "The database is unavailable."), err)
}

// constraint returns the name of the unique constraint err violates, or "".
func constraint(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return pe.ConstraintName
	}
	return ""
}

// isForeignKey reports whether err violates a foreign key.
func isForeignKey(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// conflict wraps err with a CodeConflict error saying msg.
func conflict(err error, format string, args ...any) error {
	return fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.CodeConflict, format, args...), err)
}

// notFound returns a CodeNotFound error.
func notFound(format string, args ...any) error {
	return gatehouse.Errorf(gatehouse.CodeNotFound, format, args...)
}
