package gateway

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// memKeys is the AssertionKeyStore of Assertions without a store: the
// keys of one instance, lost when it ends.
type memKeys struct {
	mu   sync.Mutex
	keys []*gatehouse.AssertionKey
}

// AddAssertionKey inserts k unless its period or kid is taken.
func (m *memKeys) AddAssertionKey(_ context.Context, k *gatehouse.AssertionKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.keys {
		if o.KID == k.KID || o.Alg == k.Alg && o.NotBefore.Equal(k.NotBefore) && o.NotAfter.Equal(k.NotAfter) {
			return nil
		}
	}
	c := *k
	m.keys = append(m.keys, &c)
	return nil
}

// AssertionKeys returns the keys that expire after t, by NotBefore then
// KID.
func (m *memKeys) AssertionKeys(_ context.Context, t time.Time) ([]*gatehouse.AssertionKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*gatehouse.AssertionKey
	for _, k := range m.keys {
		if k.Expires.After(t) {
			c := *k
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *gatehouse.AssertionKey) int {
		if c := a.NotBefore.Compare(b.NotBefore); c != 0 {
			return c
		}
		return strings.Compare(a.KID, b.KID)
	})
	return out, nil
}

// DeleteAssertionKeys removes the keys that expire at or before t.
func (m *memKeys) DeleteAssertionKeys(_ context.Context, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = slices.DeleteFunc(m.keys, func(k *gatehouse.AssertionKey) bool { return !k.Expires.After(t) })
	return nil
}
