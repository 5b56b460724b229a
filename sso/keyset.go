package sso

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse"
)

// keySet is a provider's JWKS, fetched on demand and refetched when a token
// names a key it does not hold (key rotation), but at most once every
// interval. go-oidc's RemoteKeySet refetches on every unknown kid, so that
// tokens with made-up kids could make Gatehouse hammer the provider; this
// one refuses such tokens between refetches instead.
type keySet struct {
	uri    string
	client *http.Client
	algs   []jose.SignatureAlgorithm
	now    func() time.Time
	every  time.Duration

	mu      sync.Mutex // held during a fetch: concurrent misses wait for it
	keys    []jose.JSONWebKey
	fetched time.Time // the last fetch attempt; zero: never
	failed  error     // why the last fetch attempt failed; nil: it did not
}

// maxJWKS bounds the size of a JWKS document.
const maxJWKS = 1 << 20

func newKeySet(uri string, client *http.Client, algs []string, now func() time.Time, every time.Duration) *keySet {
	k := &keySet{uri: uri, client: client, now: now, every: every}
	for _, a := range algs {
		k.algs = append(k.algs, jose.SignatureAlgorithm(a))
	}
	return k
}

var errUnknownKey = errors.New("sso: token signed by an unknown key")

// sigErrSlot is the context key of an *error where VerifySignature
// leaves its error: go-oidc flattens it into a string, and the caller
// needs its code to tell a provider whose keys cannot be fetched from a
// token that does not verify.
type sigErrSlot struct{}

// VerifySignature implements oidc.KeySet: it returns the payload of jwt
// when a key of the set verifies it. Its error is also left in the
// context's sigErrSlot, if any.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.verifySignature(ctx, jwt)
	if slot, ok := ctx.Value(sigErrSlot{}).(*error); ok {
		*slot = err
	}
	return payload, err
}

func (k *keySet) verifySignature(ctx context.Context, jwt string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(jwt, k.algs)
	if err != nil {
		return nil, fmt.Errorf("sso: malformed token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("sso: token must have exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	k.mu.Lock()
	defer k.mu.Unlock()
	if payload, ok := verifyWith(jws, k.keys, kid); ok {
		return payload, nil
	}
	if err := k.refresh(ctx); err != nil {
		return nil, err
	}
	if payload, ok := verifyWith(jws, k.keys, kid); ok {
		return payload, nil
	}
	return nil, errUnknownKey
}

func verifyWith(jws *jose.JSONWebSignature, keys []jose.JSONWebKey, kid string) ([]byte, bool) {
	for _, key := range keys {
		if kid != "" && key.KeyID != kid {
			continue
		}
		if payload, err := jws.Verify(&key); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// refresh refetches the set unless it was fetched less than every ago.
// k.mu is held.
func (k *keySet) refresh(ctx context.Context) error {
	now, gap := k.now(), k.every
	if len(k.keys) == 0 {
		gap = discoveryRetry // nothing to verify with yet: retry sooner
	}
	if !k.fetched.IsZero() && now.Sub(k.fetched) < gap {
		if k.failed != nil {
			return k.failed
		}
		return errUnknownKey
	}
	k.fetched = now
	keys, err := k.fetch(ctx)
	if err != nil {
		k.failed = fmt.Errorf("%w: %w", err, gatehouse.Errorf(gatehouse.CodeUnavailable, "The sign-in provider's keys cannot be fetched."))
		return k.failed
	}
	k.keys, k.failed = keys, nil
	return nil
}

func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.uri, nil)
	if err != nil {
		return nil, fmt.Errorf("sso: fetch JWKS: %w", err)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sso: fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("sso: fetch JWKS %s: status %d", k.uri, resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJWKS)).Decode(&set); err != nil {
		return nil, fmt.Errorf("sso: decode JWKS %s: %w", k.uri, err)
	}
	return set.Keys, nil
}
