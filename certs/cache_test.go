package certs_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/acme/autocert"

	"github.com/gatehouse-dev/gatehouse/certs"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// openStore returns a migrated SQLite store in a temporary directory,
// closed when the test ends.
func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "gatehouse.db"), sqlite.Config{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestStoreCache(t *testing.T) {
	ctx := context.Background()
	c := certs.StoreCache{C: openStore(t)}
	steps := []struct {
		name string
		do   func() error
		want error // nil, or the exact error
	}{
		{"get missing", func() error { _, err := c.Get(ctx, "example.com"); return err }, autocert.ErrCacheMiss},
		{"delete missing", func() error { return c.Delete(ctx, "example.com") }, nil},
		{"put", func() error { return c.Put(ctx, "example.com", []byte("pem")) }, nil},
		{"get", func() error {
			got, err := c.Get(ctx, "example.com")
			if err == nil && !bytes.Equal(got, []byte("pem")) {
				return errors.New("wrong data: " + string(got))
			}
			return err
		}, nil},
		{"other name still missing", func() error { _, err := c.Get(ctx, "example.com+rsa"); return err }, autocert.ErrCacheMiss},
		{"delete", func() error { return c.Delete(ctx, "example.com") }, nil},
		{"get deleted", func() error { _, err := c.Get(ctx, "example.com"); return err }, autocert.ErrCacheMiss},
	}
	for _, s := range steps {
		// autocert compares with ==, so a wrapped miss would not do.
		if err := s.do(); err != s.want {
			t.Fatalf("%s: err = %v, want %v", s.name, err, s.want)
		}
	}
}

// TestStoreCacheOutageIsNotAMiss: a store that is down must not look like
// an empty cache, or every handshake would order a new certificate and
// burn the CA's rate limit.
func TestStoreCacheOutageIsNotAMiss(t *testing.T) {
	st := openStore(t)
	c := certs.StoreCache{C: st}
	st.Close()
	_, err := c.Get(context.Background(), "example.com")
	if err == nil || errors.Is(err, autocert.ErrCacheMiss) {
		t.Fatalf("Get on a closed store: %v", err)
	}
	if err := c.Put(context.Background(), "example.com", []byte("x")); err == nil {
		t.Fatal("Put on a closed store succeeded")
	}
}
