package keyring_test

import (
	"context"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/keyring"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// clock is a settable clock for the Service and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// invalidations records what the Service reports to its Invalidator.
type invalidations struct {
	mu    sync.Mutex
	keys  []string
	users []int64
}

func (i *invalidations) InvalidateKey(id string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = append(i.keys, id)
}

func (i *invalidations) InvalidateUser(id int64) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.users = append(i.users, id)
}

func (i *invalidations) Keys() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]string(nil), i.keys...)
}

// env is a Service over a real SQLite file.
type env struct {
	t     testing.TB
	path  string
	store *sqlite.Store
	svc   *keyring.Service
	clock *clock
	inval *invalidations
}

var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newEnv(t testing.TB, cfg keyring.Config) *env {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gatehouse.db")
	c := &clock{t: start}
	st, err := sqlite.Open(ctx, path, sqlite.Config{CreateIfMissing: true, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	inv := &invalidations{}
	if cfg.Store == nil {
		cfg.Store = st
	}
	cfg.Now, cfg.Invalidator = c.Now, inv
	svc, err := keyring.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, path: path, store: st, svc: svc, clock: c, inval: inv}
}

// user creates a service account with role r.
func (e *env) user(name string, r gatehouse.Role) *gatehouse.User {
	e.t.Helper()
	u := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: name, Kind: gatehouse.KindService, Name: name, Role: r}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// create makes a key that must succeed.
func (e *env) create(owner int64, label string, scopes ...string) keyring.Created {
	e.t.Helper()
	c, err := e.svc.Create(context.Background(), keyring.Actor{}, owner, keyring.CreateRequest{Label: label, Scopes: scopes})
	if err != nil {
		e.t.Fatalf("create %q: %v", label, err)
	}
	return c
}

// snapshot is everything a refused request must leave unchanged.
type snapshot struct {
	keys  []*gatehouse.APIKey
	audit []*gatehouse.AuditEvent
	inval int
}

func (e *env) snapshot(owners ...int64) snapshot {
	e.t.Helper()
	ctx := context.Background()
	var s snapshot
	for _, o := range owners {
		ks, err := e.store.Keys(ctx, o)
		if err != nil {
			e.t.Fatal(err)
		}
		s.keys = append(s.keys, ks...)
	}
	ev, err := e.store.AuditEvents(ctx, gatehouse.AuditFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	s.audit = ev
	s.inval = len(e.inval.Keys())
	return s
}

// unchanged fails the test when the state differs from before.
func (e *env) unchanged(name string, before snapshot, owners ...int64) {
	e.t.Helper()
	after := e.snapshot(owners...)
	if len(after.keys) != len(before.keys) || len(after.audit) != len(before.audit) || after.inval != before.inval {
		e.t.Errorf("%s: state changed: keys %d -> %d, audit %d -> %d, invalidations %d -> %d", name,
			len(before.keys), len(after.keys), len(before.audit), len(after.audit), before.inval, after.inval)
		return
	}
	for i := range after.keys {
		if !reflect.DeepEqual(after.keys[i], before.keys[i]) {
			e.t.Errorf("%s: key %s changed:\n%+v\n%+v", name, after.keys[i].ID, before.keys[i], after.keys[i])
		}
	}
}

// wantCode fails the test unless err carries code.
func wantCode(t testing.TB, name string, err error, code gatehouse.Code) {
	t.Helper()
	if got := gatehouse.ErrorCode(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", name, err, got, code)
	}
}
