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
			return nil
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
