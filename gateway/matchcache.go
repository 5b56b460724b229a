package gateway

import (
	"hash/maphash"
	"sync/atomic"
)

// matchCacheSlots is how many decisions a table remembers. The cache is
// direct-mapped: a request whose slot holds another request's decision
// asks the mux and takes the slot, so the memory is bounded whatever paths
// clients send.
const matchCacheSlots = 1024

// matchCache remembers which rule decides recent (method, host, path)
// triples, the mux's only inputs for a canonical path: the mux allocates
// and walks its tree twice for a prefix pattern, a hit does neither. It
// belongs to one immutable Table, so it is never stale. Safe for
// concurrent use without locks.
type matchCache struct {
	seed  maphash.Seed
	slots [matchCacheSlots]atomic.Pointer[matchEntry]
}

// matchEntry is one remembered decision; it is never modified.
type matchEntry struct {
	method, host, path string
	rule               *Rule // nil: no rule (or one the mux would redirect to)
}

func newMatchCache() *matchCache { return &matchCache{seed: maphash.MakeSeed()} }

func (c *matchCache) slot(method, host, path string) *atomic.Pointer[matchEntry] {
	h := maphash.String(c.seed, path) ^ maphash.String(c.seed, host)*31 ^ maphash.String(c.seed, method)*131
	return &c.slots[h%matchCacheSlots]
}

// get returns the remembered rule and true, or false on a miss.
func (c *matchCache) get(method, host, path string) (*Rule, bool) {
	e := c.slot(method, host, path).Load()
	if e == nil || e.path != path || e.host != host || e.method != method {
		return nil, false
	}
	return e.rule, true
}

// put remembers rule for the triple.
func (c *matchCache) put(method, host, path string, rule *Rule) {
	c.slot(method, host, path).Store(&matchEntry{method: method, host: host, path: path, rule: rule})
}
