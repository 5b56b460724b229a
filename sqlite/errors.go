package sqlite

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// code returns the primary SQLite result code of err, or 0.
func code(err error) int {
	var e *msqlite.Error
	if errors.As(err, &e) {
		return e.Code() & 0xff
	}
	return 0
}

// isNotDB reports whether err says the file is not a database.
func isNotDB(err error) bool {
	c := code(err)
	return c == sqlite3.SQLITE_NOTADB || c == sqlite3.SQLITE_CORRUPT
}

// classify adds CodeUnavailable to errors that mean the database cannot be
// used right now (locked for longer than the busy timeout, unreadable);
// other errors are returned as they are.
func classify(err error) error {
	switch code(err) {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.CodeUnavailable, "The database is unavailable."), err)
	}
	return err
}

// unique returns the columns of the unique constraint err violates, as
// SQLite names them ("api_keys.user_id, api_keys.label"), or "".
func unique(err error) string {
	var e *msqlite.Error
	if !errors.As(err, &e) || e.Code() != sqlite3.SQLITE_CONSTRAINT_UNIQUE && e.Code() != sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
		return ""
	}
	_, cols, _ := strings.Cut(e.Error(), "constraint failed: ")
	cols, _, _ = strings.Cut(cols, " (")
	return strings.TrimSpace(cols)
}

// isForeignKey reports whether err violates a foreign key.
func isForeignKey(err error) bool {
	var e *msqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// conflict wraps err with a CodeConflict error saying msg.
func conflict(err error, format string, args ...any) error {
	return fmt.Errorf("%w: %w", gatehouse.Errorf(gatehouse.CodeConflict, format, args...), err)
}

// notFound returns a CodeNotFound error.
func notFound(format string, args ...any) error {
	return gatehouse.Errorf(gatehouse.CodeNotFound, format, args...)
}
