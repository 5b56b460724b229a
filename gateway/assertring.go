package gateway

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// retryDelay is how long a replica whose store failed keeps the keys it
// has before a request tries the store again.
const retryDelay = 5 * time.Second

// reloadTimeout bounds a read of the key ring started by a request.
const reloadTimeout = 10 * time.Second

// ring is the key ring as one instance last read it from the store,
// replaced whole.
type ring struct {
	period int64         // the signing period it was read in (see Assertions.period)
	keys   []*signingKey // the stored keys that had not expired, by NotBefore
	jwks   []byte        // their public keys
	retry  time.Time     // after a failed read: no request reads again before then
}

// period returns the number of the signing period t is in: period n runs
// from n*RotateEvery since the Unix epoch for RotateEvery. Every replica
// computes the same numbers.
func (a *Assertions) period(t time.Time) int64 {
	ms := a.rotate.Milliseconds()
	n := t.UnixMilli() / ms
	if t.UnixMilli() < 0 && t.UnixMilli()%ms != 0 {
		n--
	}
	return n
}

// bounds returns when period n starts and ends.
func (a *Assertions) bounds(n int64) (time.Time, time.Time) {
	ms := a.rotate.Milliseconds()
	return time.UnixMilli(n * ms).UTC(), time.UnixMilli((n + 1) * ms).UTC()
}

// signer returns the key that signs at now: this instance's algorithm,
// for now's period.
func (r *ring) signer(alg string, now time.Time) *signingKey {
	var found *signingKey
	for _, k := range r.keys {
		if k.alg == alg && !now.Before(k.notBefore) && now.Before(k.notAfter) {
			found = k // the latest that started, should periods differ
		}
	}
	return found
}

// current returns the ring for now: the one in memory, read again from
// the store once the signing period has changed. The read only reads: a
// request never writes to the store; Run adds the keys. Only a request
// that finds no key to sign at now waits for another one's read; while
// the ring has one (the next key, published a period before it signs), a
// read already under way is not waited for. The read does not end with
// ctx: it is shared, and bounded by reloadTimeout.
func (a *Assertions) current(ctx context.Context, now time.Time) *ring {
	r := a.ring.Load()
	if r.period == a.period(now) || now.Before(r.retry) {
		return r
	}
	if r.signer(a.alg, now) != nil {
		if !a.reloadMu.TryLock() {
			return r
		}
	} else {
		a.reloadMu.Lock()
	}
	defer a.reloadMu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reloadTimeout)
	defer cancel()
	return a.reloadLocked(ctx, now, false)
}

// reloadLocked reads the ring from the store. With maintain (Run), it
// always reads, and adds the keys of now's period and the next one when
// they are missing. Without (a request), it only reads, and does nothing
// when another call has already read the ring for now's period. A failed
// read is logged; the keys in memory stay in use, and no request reads
// again for retryDelay. The caller holds reloadMu.
func (a *Assertions) reloadLocked(ctx context.Context, now time.Time, maintain bool) *ring {
	old := a.ring.Load()
	if !maintain && (old.period == a.period(now) || now.Before(old.retry)) {
		return old
	}
	r, err := a.read(ctx, now, old, maintain)
	if err != nil {
		a.log.Error("assertion keys not read: signing with the keys in memory", "err", err)
		kept := *old
		kept.retry = now.Add(retryDelay)
		r = &kept
	}
	a.ring.Store(r)
	return r
}

// read reads the stored keys that have not expired. With maintain, when
// the key of now's period or of the next one is missing, it adds one,
// removes expired keys and reads again: replicas that add a key for the
// same period at once thus all use the one the store kept.
func (a *Assertions) read(ctx context.Context, now time.Time, old *ring, maintain bool) (*ring, error) {
	keys, err := a.keys.AssertionKeys(ctx, now)
	if err != nil {
		return nil, err
	}
	n := a.period(now)
	var made []*signingKey
	for _, p := range []int64{n, n + 1} {
		if !maintain {
			break
		}
		nb, na := a.bounds(p)
		if hasKey(keys, a.alg, nb, na) {
			continue
		}
		k, sk, err := newStoredKey(a.alg, nb, na, na.Add(a.rotate))
		if err != nil {
			return nil, err
		}
		if err := a.keys.AddAssertionKey(ctx, k); err != nil {
			return nil, err
		}
		made = append(made, sk)
	}
	if made != nil {
		if err := a.keys.DeleteAssertionKeys(ctx, now); err != nil {
			return nil, err
		}
		if keys, err = a.keys.AssertionKeys(ctx, now); err != nil {
			return nil, err
		}
	}
	return a.parse(keys, n, old, made)
}

// hasKey reports whether keys hold a key of alg for [nb, na).
func hasKey(keys []*gatehouse.AssertionKey, alg string, nb, na time.Time) bool {
	for _, k := range keys {
		if k.Alg == alg && k.NotBefore.Equal(nb) && k.NotAfter.Equal(na) {
			return true
		}
	}
	return false
}

// parse makes the ring of period n from the stored keys, reusing the
// parsed keys of old and the keys this read made (those the store kept).
// A key that does not parse is logged and left out.
func (a *Assertions) parse(keys []*gatehouse.AssertionKey, n int64, old *ring, made []*signingKey) (*ring, error) {
	known := map[string]*signingKey{}
	if old != nil {
		made = append(made, old.keys...)
	}
	for _, k := range made {
		known[k.kid] = k
	}
	r := &ring{period: n}
	for _, k := range keys {
		sk := known[k.KID]
		if sk == nil {
			var err error
			if sk, err = parseKey(k); err != nil {
				a.log.Error("stored assertion key left out", "err", err)
				continue
			}
		}
		r.keys = append(r.keys, sk)
	}
	var err error
	if r.jwks, err = jwks(r.keys); err != nil {
		return nil, err
	}
	return r, nil
}

// Run reads the key ring from the store every ReloadEvery until ctx ends,
// adding the key of the next period when it is missing and removing
// expired keys, so that the next key is published a period before it
// signs, and keys added or removed elsewhere are published here too; it
// then returns nil. Signing does not wait for Run: a request that finds
// the signing period changed reads the ring itself, without writing.
func (a *Assertions) Run(ctx context.Context) error {
	t := time.NewTicker(a.reloadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			a.Maintain(ctx)
		}
	}
}

// Maintain does once what Run does every ReloadEvery: it reads the key
// ring, adding the keys of the current and the next period when they are
// missing and removing expired ones.
func (a *Assertions) Maintain(ctx context.Context) {
	a.reloadMu.Lock()
	defer a.reloadMu.Unlock()
	a.reloadLocked(ctx, a.now(), true)
}

// load reads the ring for the first time.
func (a *Assertions) load(ctx context.Context) error {
	r, err := a.read(ctx, a.now(), nil, true)
	if err != nil {
		return fmt.Errorf("gateway: read the assertion keys: %w", err)
	}
	a.ring.Store(r)
	return nil
}
