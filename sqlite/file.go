package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotDatabase is wrapped by the error Open returns for a file that is
// not a SQLite database.
var ErrNotDatabase = errors.New("file is not a database")

// header starts every SQLite database file.
var header = []byte("SQLite format 3\x00")

// checkFile refuses a missing file (unless create is set) and a file that
// does not start with the SQLite header, before the driver opens it: the
// driver must never get a chance to write to a file that is not ours.
func checkFile(path string, create bool) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if create {
			return createFile(path)
		}
		return fmt.Errorf("sqlite: %s does not exist (run \"gatehouse migrate\" to create it): %w", path, fs.ErrNotExist)
	}
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	defer f.Close()
	buf := make([]byte, len(header))
	n, err := io.ReadFull(f, buf)
	switch {
	case n == 0 && (err == io.EOF):
		return nil // an empty file is an empty database
	case err != nil && !errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("sqlite: read %s: %w", path, err)
	case !bytes.Equal(buf[:n], header):
		return fmt.Errorf("sqlite: %s is not a Gatehouse database: %w", path, ErrNotDatabase)
	}
	return nil
}

// createFile creates an empty database file that only its owner can read:
// it holds key hashes and the audit log. SQLite gives the -wal and -shm
// files the database file's permissions. A file that appears meanwhile
// (another process created it) is checked instead.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return checkFile(path, false)
	}
	if err != nil {
		return fmt.Errorf("sqlite: create %s: %w", path, err)
	}
	return f.Close()
}
