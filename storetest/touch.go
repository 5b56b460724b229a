package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func testTouchKeys(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	f := newFixtures(t, s)
	owner := f.user()
	base := now()
	a, b := f.key(owner.ID, "a", base), f.key(owner.ID, "b", base)
	noErr(t, "TouchKeys", s.TouchKeys(ctx, []gatehouse.KeyUse{
		{KeyID: a.ID, At: base.Add(2 * time.Second), Addr: "192.0.2.1:1000"},
		{KeyID: b.ID, At: base.Add(time.Second), Addr: "192.0.2.2:2000"},
	}))
	noErr(t, "TouchKeys", s.TouchKeys(ctx, []gatehouse.KeyUse{
		{KeyID: a.ID, At: base.Add(time.Second), Addr: "198.51.100.1:1"}, // earlier: ignored
		{KeyID: "missing", At: base.Add(time.Hour), Addr: "198.51.100.2:2"},
		{KeyID: b.ID, At: base.Add(3 * time.Second), Addr: "198.51.100.3:3"}, // later: wins
		{KeyID: b.ID, At: base.Add(2 * time.Second), Addr: "198.51.100.4:4"}, // earlier in the batch
	}))
	cases := []struct {
		key      *gatehouse.APIKey
		lastUsed time.Time
		addr     string
	}{
		{a, base.Add(2 * time.Second), "192.0.2.1:1000"},
		{b, base.Add(3 * time.Second), "198.51.100.3:3"},
	}
	for _, c := range cases {
		want := *c.key
		want.LastUsed, want.LastUsedAddr = c.lastUsed, c.addr
		sameFields(t, "touched key "+c.key.Label, f.get(c.key.ID), &want)
	}
	_, err := s.Key(ctx, "missing")
	wantCode(t, "Key(missing) after TouchKeys", err, gatehouse.CodeNotFound)
	noErr(t, "TouchKeys(nil)", s.TouchKeys(ctx, nil))
}
