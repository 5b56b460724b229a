package guard

import (
	"context"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// limiter counts authentication failures per client address with token
// buckets: an address may fail burst times, then earns one failure back
// every 1/rate. Only failures use tokens up, but a request that will read
// the store reserves its token first (see reserve), so that concurrent
// requests cannot all pass the check before any of them has failed.
//
// At most max addresses have a bucket of their own. Only a bucket that
// has refilled and has nothing in flight is forgotten to make room, the
// least recently used first, in constant time. When every bucket still
// matters, new addresses share one overflow bucket: an attacker with many
// addresses cannot push a limited one out, and gets one allowance for all
// the rest.
type limiter struct {
	burst  float64
	perSec float64
	max    int

	mu       sync.Mutex
	m        map[limitKey]*bucket
	lru      bucket // sentinel of the ring of buckets in m, most recent after it
	overflow bucket
	n        atomic.Int64 // len(m), read without the lock on the hot path
}

// bucket is an address's failure allowance at a moment.
type bucket struct {
	key     limitKey
	tokens  float64
	at      time.Time
	pending int           // reserved tokens: lookups in flight
	wake    chan struct{} // closed when a reservation ends; nil when none waits

	prev, next *bucket // the LRU ring
}

// limitKey is the address failures are counted against: an IPv4 address,
// an IPv6 address by its /64 (one subscriber commonly holds a whole /64),
// or the text of an address that does not parse. It is comparable and
// built without allocating.
type limitKey struct {
	prefix netip.Prefix
	raw    string
}

func keyOf(addr string) limitKey {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return limitKey{raw: addr}
	}
	a = a.Unmap().WithZone("")
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return limitKey{raw: addr}
	}
	return limitKey{prefix: p}
}

func newLimiter(burst int, perMinute float64, max int) *limiter {
	l := &limiter{burst: float64(burst), perSec: perMinute / 60, max: max, m: make(map[limitKey]*bucket)}
	l.lru.prev, l.lru.next = &l.lru, &l.lru
	l.overflow.tokens = l.burst
	return l
}

// tokens returns b's allowance at now, reservations not deducted.
func (l *limiter) tokens(b *bucket, now time.Time) float64 {
	t := b.tokens + now.Sub(b.at).Seconds()*l.perSec
	return min(t, l.burst)
}

// waitFor returns how long until b, holding t tokens, has one.
func (l *limiter) waitFor(t float64) time.Duration {
	return time.Duration((1 - t) / l.perSec * float64(time.Second))
}

// blocked reports whether addr has no failure left at now, and how long
// until it has one. It is a cheap early check; take and reserve decide.
func (l *limiter) blocked(addr string, now time.Time) (time.Duration, bool) {
	if l.n.Load() == 0 {
		return 0, false
	}
	k := keyOf(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.m[k]
	if b == nil {
		return 0, false
	}
	// Reserved tokens do not count: a request may wait for them.
	if t := l.tokens(b, now); t < 1 {
		return l.waitFor(t), true
	}
	return 0, false
}

// take uses up one of addr's failures at now, for a failure that did not
// read the store. It returns false, and how long to wait, when none is
// left: the failure is then answered as limited.
func (l *limiter) take(addr string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucket(keyOf(addr), now)
	t := l.tokens(b, now)
	if t-float64(b.pending) < 1 {
		return l.waitFor(t - float64(b.pending)), false
	}
	b.tokens, b.at = t-1, now
	return 0, true
}

// reservation is a failure reserved for a lookup in flight; end it with
// done.
type reservation struct {
	l *limiter
	b *bucket
}

// reserve sets one of addr's failures aside before a store lookup. When
// none is free but others are reserved, it waits for them to end (a
// client sending many requests at once is not refused for lookups that
// will succeed). It returns a tooMany error when none is left, and when
// ctx ends while it waits.
func (l *limiter) reserve(ctx context.Context, addr string, now func() time.Time) (reservation, error) {
	k := keyOf(addr)
	for {
		at := now()
		l.mu.Lock()
		b := l.bucket(k, at)
		t := l.tokens(b, at) - float64(b.pending)
		if t >= 1 {
			b.pending++
			l.mu.Unlock()
			return reservation{l, b}, nil
		}
		if b.pending == 0 {
			l.mu.Unlock()
			return reservation{}, limitError(l.waitFor(t))
		}
		if b.wake == nil {
			b.wake = make(chan struct{})
		}
		wake := b.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return reservation{}, limitError(l.waitFor(t))
		}
	}
}

// done ends the reservation at now: failed uses the failure up, otherwise
// it is given back.
func (r reservation) done(failed bool, now time.Time) {
	l, b := r.l, r.b
	l.mu.Lock()
	defer l.mu.Unlock()
	b.pending--
	if failed {
		b.tokens, b.at = max(l.tokens(b, now)-1, 0), now
	}
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
	if b != &l.overflow && l.idle(b, now) {
		l.forget(b)
	}
}

// idle reports whether b is as good as no bucket at now.
func (l *limiter) idle(b *bucket, now time.Time) bool {
	return b.pending == 0 && l.tokens(b, now) >= l.burst
}

// bucket returns k's bucket, marked as the most recently used. A new
// address gets one, if need be in place of the least recently used
// bucket when that one is idle; otherwise it shares the overflow bucket.
// The caller holds l.mu.
func (l *limiter) bucket(k limitKey, now time.Time) *bucket {
	if b := l.m[k]; b != nil {
		l.unlink(b)
		l.pushFront(b)
		return b
	}
	var b *bucket
	if len(l.m) < l.max {
		b = new(bucket)
	} else {
		b = l.lru.prev
		if b == &l.lru || !l.idle(b, now) {
			return &l.overflow
		}
		l.forget(b)
	}
	*b = bucket{key: k, tokens: l.burst, at: now}
	l.m[k] = b
	l.n.Store(int64(len(l.m)))
	l.pushFront(b)
	return b
}

func (l *limiter) pushFront(b *bucket) {
	b.prev, b.next = &l.lru, l.lru.next
	b.next.prev, l.lru.next = b, b
}

// forget removes b from the map and the ring. The caller holds l.mu.
func (l *limiter) forget(b *bucket) {
	l.unlink(b)
	delete(l.m, b.key)
	l.n.Store(int64(len(l.m)))
}

func (l *limiter) unlink(b *bucket) {
	if b.prev != nil {
		b.prev.next, b.next.prev = b.next, b.prev
		b.prev, b.next = nil, nil
	}
}
