package guard

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// limiter counts authentication failures per client address with token
// buckets: an address may fail burst times, then earns one failure back
// every 1/rate. Only failures take tokens; an address without tokens is
// refused before any lookup. At most max addresses are remembered.
type limiter struct {
	burst  float64
	perSec float64
	max    int

	mu sync.Mutex
	m  map[string]bucket
	n  atomic.Int64 // len(m), read without the lock on the hot path
}

// bucket is an address's failure allowance at a moment.
type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(burst int, perMinute float64, max int) *limiter {
	return &limiter{burst: float64(burst), perSec: perMinute / 60, max: max, m: make(map[string]bucket)}
}

// tokens returns b's allowance at now.
func (l *limiter) tokens(b bucket, now time.Time) float64 {
	t := b.tokens + now.Sub(b.at).Seconds()*l.perSec
	return min(t, l.burst)
}

// blocked reports whether addr has no failure left at now, and how long
// until it has one.
func (l *limiter) blocked(addr string, now time.Time) (time.Duration, bool) {
	if l.n.Load() == 0 {
		return 0, false
	}
	k := limitKey(addr)
	l.mu.Lock()
	b, ok := l.m[k]
	l.mu.Unlock()
	if !ok {
		return 0, false
	}
	t := l.tokens(b, now)
	if t >= 1 {
		return 0, false
	}
	return time.Duration((1 - t) / l.perSec * float64(time.Second)), true
}

// fail takes one token from addr's bucket.
func (l *limiter) fail(addr string, now time.Time) {
	k := limitKey(addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.m[k]
	if !ok {
		l.makeRoom(now)
		b = bucket{tokens: l.burst, at: now}
	}
	l.m[k] = bucket{tokens: max(l.tokens(b, now)-1, 0), at: now}
	l.n.Store(int64(len(l.m)))
}

// makeRoom, when the map is full, forgets the addresses whose buckets have
// refilled (they are as good as new), and if none has, a random one.
func (l *limiter) makeRoom(now time.Time) {
	if len(l.m) < l.max {
		return
	}
	for k, b := range l.m {
		if l.tokens(b, now) >= l.burst {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < l.max {
			break
		}
		delete(l.m, k)
	}
}

// limitKey is the address failures are counted against: an IPv6 address
// by its /64, since one subscriber commonly holds a whole /64.
func limitKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Is4() {
		return addr
	}
	if a.Is4In6() {
		return a.Unmap().String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}
