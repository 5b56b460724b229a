package certs

import (
	"context"
	"fmt"

	"golang.org/x/crypto/acme/autocert"

	"github.com/gatehouse-dev/gatehouse"
)

// StoreCache adapts a gatehouse.CertCache (the store) to autocert.Cache, so
// that every replica sharing the store shares the ACME account and
// certificates.
//
// Only a CodeNotFound error becomes autocert.ErrCacheMiss. Any other error,
// such as the store being down, stays an error: a miss would make the
// manager ask the CA for a new certificate on every handshake and burn the
// CA's rate limit.
type StoreCache struct {
	// C is the store; it must not be nil.
	C gatehouse.CertCache
}

var _ autocert.Cache = StoreCache{}

// Get returns the data stored under name, or autocert.ErrCacheMiss itself
// (unwrapped, as autocert compares with ==) when there is none.
func (s StoreCache) Get(ctx context.Context, name string) ([]byte, error) {
	data, err := s.C.CertData(ctx, name)
	if err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
			return nil, autocert.ErrCacheMiss
		}
		return nil, fmt.Errorf("certs: cache get %s: %w", name, err)
	}
	return data, nil
}

// Put stores data under name.
func (s StoreCache) Put(ctx context.Context, name string, data []byte) error {
	if err := s.C.PutCertData(ctx, name, data); err != nil {
		return fmt.Errorf("certs: cache put %s: %w", name, err)
	}
	return nil
}

// Delete removes name; a missing name is not an error.
func (s StoreCache) Delete(ctx context.Context, name string) error {
	if err := s.C.DeleteCertData(ctx, name); err != nil && gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		return fmt.Errorf("certs: cache delete %s: %w", name, err)
	}
	return nil
}
