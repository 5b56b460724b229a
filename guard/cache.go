package guard

import (
	"context"
	"crypto/subtle"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// entry is what the guard knows about one key and its owner. Everything
// but lastUse is immutable once the entry is cached; a change to the key or
// the owner replaces the entry.
type entry struct {
	id          string
	userID      int64
	hash        [32]byte
	prevHash    [32]byte
	prevExpires time.Time // zero: the previous secret is not valid
	expires     time.Time // zero: never
	revoked     bool
	disabled    bool      // the owner is disabled
	activity    time.Time // last use, roll or creation, as loaded
	loaded      time.Time // when the key was read; see cache.maxAge
	lastUse     atomic.Int64
	principal   *gatehouse.Principal
	// prevPrincipal is the principal of the previous secret during a
	// roll's grace period: principal without the keys scope, so that a
	// leaked old secret cannot roll the key again or make new ones. Nil
	// when the previous secret is not valid.
	prevPrincipal *gatehouse.Principal
	// expiresHeader is the Gatehouse-Key-Expires value, or "".
	expiresHeader string
}

// newEntry builds the entry and its shared Principal for key k of owner u,
// read at loaded. pending is the latest use this guard has not written yet,
// or zero.
func newEntry(k *gatehouse.APIKey, u *gatehouse.User, pending, loaded time.Time) *entry {
	e := &entry{
		id: k.ID, userID: k.UserID, hash: k.Hash, prevHash: k.PrevHash, prevExpires: k.PrevExpires,
		expires: k.Expires, revoked: !k.Revoked.IsZero(), disabled: u.Disabled,
		activity: latest(k.Created, k.Rolled, k.LastUsed, pending), loaded: loaded,
		principal: &gatehouse.Principal{
			UserID: u.ID, Email: u.Email, Name: u.Name, Kind: u.Kind, Role: u.Role,
			Method: gatehouse.MethodAPIKey, KeyID: k.ID, KeyExpires: k.Expires,
			Scopes: k.Scopes.Effective(u.Role),
		},
	}
	if !k.PrevExpires.IsZero() {
		p := *e.principal
		p.Scopes = slices.DeleteFunc(slices.Clone(p.Scopes), func(s gatehouse.Scope) bool { return s == gatehouse.ScopeKeys })
		e.prevPrincipal = &p
	}
	if !k.Expires.IsZero() {
		e.expiresHeader = k.Expires.UTC().Format(time.RFC3339)
	}
	return e
}

func latest(ts ...time.Time) time.Time {
	var t time.Time
	for _, x := range ts {
		if x.After(t) {
			t = x
		}
	}
	return t
}

// The reasons a key is refused, for the audit log.
const (
	reasonMalformed = "malformed key"
	reasonUnknown   = "unknown key"
	reasonNoOwner   = "owner not found"
	reasonSecret    = "wrong secret"
	reasonGrace     = "previous secret past its grace period"
	reasonRevoked   = "revoked"
	reasonExpired   = "expired"
	reasonIdle      = "expired after idling"
	reasonDisabled  = "owner disabled"
)

// check returns the principal of a key whose text hashes to h at now, or
// why it is refused. The secret is checked first, so that the status of a
// key is never a reason given to someone who does not hold it. The status
// rules are those of gatehouse.APIKey.Status, with the last use this
// guard has seen.
func (e *entry) check(h *[32]byte, now time.Time, idle time.Duration) (*gatehouse.Principal, string) {
	p := e.principal
	switch {
	case subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1:
	case e.prevPrincipal != nil && subtle.ConstantTimeCompare(h[:], e.prevHash[:]) == 1:
		if !now.Before(e.prevExpires) {
			return nil, reasonGrace
		}
		p = e.prevPrincipal
	default:
		return nil, reasonSecret
	}
	if reason := e.status(now, idle); reason != "" {
		return nil, reason
	}
	return p, ""
}

// status returns why the key is refused at now whatever the secret, or "".
func (e *entry) status(now time.Time, idle time.Duration) string {
	switch {
	case e.revoked:
		return reasonRevoked
	case !e.expires.IsZero() && !now.Before(e.expires):
		return reasonExpired
	case idle > 0 && now.Sub(e.lastActivity()) >= idle:
		return reasonIdle
	case e.disabled:
		return reasonDisabled
	}
	return ""
}

func (e *entry) lastActivity() time.Time {
	if n := e.lastUse.Load(); n > e.activity.UnixNano() {
		return time.Unix(0, n)
	}
	return e.activity
}

// cache holds entries by key id, at most max of them, each for maxAge at
// most. It serves entries only while live (the change feed is being
// watched). epoch changes with every invalidation, so that an entry loaded
// before one is not cached after it.
type cache struct {
	mu     sync.RWMutex
	max    int
	maxAge time.Duration
	m      map[string]*entry
	epoch  uint64
	live   bool
}

func newCache(max int, maxAge time.Duration) *cache {
	return &cache{max: max, maxAge: maxAge, m: make(map[string]*entry)}
}

// get returns the cached entry for id, or nil when there is none or it is
// maxAge old at now (a load then replaces it). A clock that went back
// also makes the entry too old.
func (c *cache) get(id string, now time.Time) *entry {
	c.mu.RLock()
	e := c.m[id]
	c.mu.RUnlock()
	if e == nil {
		return nil
	}
	if age := now.Sub(e.loaded); age < 0 || age >= c.maxAge {
		return nil
	}
	return e
}

// begin returns the epoch to pass to put after a load, and whether the
// loaded entry may be cached at all.
func (c *cache) begin() (uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.epoch, c.live
}

// put caches e unless the cache was invalidated since begin returned
// epoch. When the cache is full, a random entry makes room: Go's map
// iteration starts at a random place.
func (c *cache) put(e *entry, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || epoch != c.epoch {
		return
	}
	if _, ok := c.m[e.id]; !ok && len(c.m) >= c.max {
		for id := range c.m {
			delete(c.m, id)
			break
		}
	}
	c.m[e.id] = e
}

func (c *cache) dropKey(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.epoch++
	c.mu.Unlock()
}

func (c *cache) dropUser(userID int64) {
	c.mu.Lock()
	for id, e := range c.m {
		if e.userID == userID {
			delete(c.m, id)
		}
	}
	c.epoch++
	c.mu.Unlock()
}

// dropAll empties the cache.
func (c *cache) dropAll() {
	c.mu.Lock()
	clear(c.m)
	c.epoch++
	c.mu.Unlock()
}

// setLive empties the cache and turns it on or off.
func (c *cache) setLive(live bool) {
	c.mu.Lock()
	clear(c.m)
	c.live = live
	c.epoch++
	c.mu.Unlock()
}

func (c *cache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// watchRetry is how long the watcher waits before it tries the change feed
// again after a failure.
const watchRetry = time.Second

// watch keeps the cache in step with the change feed until ctx ends. While
// the feed fails, the cache is off and every request reads the store; it
// comes back on from the feed's newest change, since it starts empty.
func (g *Guard) watch(ctx context.Context) {
	for {
		err := g.watchOnce(ctx)
		g.cache.setLive(false)
		if ctx.Err() != nil {
			return
		}
		g.log.WarnContext(ctx, "guard: change feed failed; key cache off until it recovers", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(watchRetry):
		}
	}
}

// watchOnce turns the cache on only after it knows where the feed stands,
// so that every change made after an entry was loaded reaches the cache.
func (g *Guard) watchOnce(ctx context.Context) error {
	seq, err := g.store.LastChange(ctx)
	if err != nil {
		return err
	}
	g.cache.setLive(true)
	return g.store.WatchChanges(ctx, seq, g.apply)
}

// apply drops the entries a change concerns: all of them when the feed
// says that changes were lost.
func (g *Guard) apply(c gatehouse.Change) {
	if c.All {
		g.log.Warn("guard: the change feed lost changes; key cache emptied", "seq", c.Seq)
		g.cache.dropAll()
		return
	}
	if c.KeyID != "" {
		g.cache.dropKey(c.KeyID)
	}
	if c.UserID != 0 {
		g.cache.dropUser(c.UserID)
	}
}
