package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func testKeys(t *testing.T, open Opener) {
	t.Run("RoundTrip", func(t *testing.T) { testKeyRoundTrip(t, open(t)) })
	t.Run("ListNewestFirst", func(t *testing.T) { testKeyList(t, open(t)) })
	t.Run("LabelConflict", func(t *testing.T) { testKeyLabelConflict(t, open(t)) })
	t.Run("Roll", func(t *testing.T) { testRollKey(t, open(t)) })
	t.Run("Revoke", func(t *testing.T) { testRevokeKey(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDeleteKey(t, open(t)) })
}

func testKeyRoundTrip(t *testing.T, s gatehouse.Store) {
	f := newFixtures(t, s)
	owner := f.user()
	base := now()
	full := &gatehouse.APIKey{
		ID: "full", UserID: owner.ID, Label: "full", Prefix: "gh_full",
		Hash:    randomHash(),
		Scopes:  gatehouse.NewScopes(gatehouse.ScopeRead, gatehouse.ScopeWrite, "blog.posts:write"),
		Created: base.Add(-time.Hour), Expires: base.Add(24 * time.Hour),
		PrevHash: randomHash(), PrevExpires: base.Add(time.Minute), Rolled: base.Add(-time.Minute),
		LastUsed: base.Add(-time.Second), LastUsedAddr: "192.0.2.7:4431", Revoked: base,
	}
	bare := &gatehouse.APIKey{ID: "bare", UserID: owner.ID, Label: "bare", Prefix: "gh_bare", Hash: randomHash(), Created: base}
	for _, k := range []*gatehouse.APIKey{full, bare} {
		t.Run(k.ID, func(t *testing.T) {
			noErr(t, "CreateKey", s.CreateKey(t.Context(), k))
			sameFields(t, "Key", f.get(k.ID), k)
		})
	}
	_, err := s.Key(t.Context(), "missing")
	wantCode(t, "Key(missing)", err, gatehouse.CodeNotFound)
	orphan := &gatehouse.APIKey{ID: "orphan", UserID: owner.ID + 1000, Label: "x", Prefix: "gh_x", Hash: randomHash(), Created: base}
	if err := s.CreateKey(t.Context(), orphan); err == nil {
		t.Errorf("CreateKey for a user that does not exist succeeded")
	}
}

func testKeyList(t *testing.T, s gatehouse.Store) {
	f := newFixtures(t, s)
	owner, other := f.user(), f.user()
	base := now()
	oldest := f.key(owner.ID, "oldest", base.Add(-2*time.Hour))
	newest := f.key(owner.ID, "newest", base)
	middle := f.key(owner.ID, "middle", base.Add(-time.Hour))
	f.key(other.ID, "theirs", base.Add(time.Hour))
	noErr(t, "RevokeKey", s.RevokeKey(t.Context(), middle.ID, base))

	cases := []struct {
		owner int64
		want  []string
	}{
		{owner.ID, []string{newest.ID, middle.ID, oldest.ID}},
		{owner.ID + other.ID + 1, nil},
	}
	for _, c := range cases {
		got, err := s.Keys(t.Context(), c.owner)
		noErr(t, "Keys", err)
		var ids []string
		for _, k := range got {
			ids = append(ids, k.ID)
		}
		if !same(c.want, ids) {
			t.Errorf("Keys(%d) = %v, want %v", c.owner, ids, c.want)
		}
	}
}

func testKeyLabelConflict(t *testing.T, s gatehouse.Store) {
	f := newFixtures(t, s)
	owner, other := f.user(), f.user()
	ci := f.key(owner.ID, "ci", now())
	cases := []struct {
		name string
		key  gatehouse.APIKey
		code gatehouse.Code
	}{
		{"taken label", gatehouse.APIKey{ID: "dup", UserID: owner.ID, Label: "ci", Hash: randomHash()}, gatehouse.CodeConflict},
		{"taken id", gatehouse.APIKey{ID: ci.ID, UserID: other.ID, Label: "other", Hash: randomHash()}, gatehouse.CodeConflict},
		{"taken hash", gatehouse.APIKey{ID: "twin", UserID: other.ID, Label: "twin", Hash: ci.Hash}, gatehouse.CodeConflict},
		{"label of another owner", gatehouse.APIKey{ID: "theirs", UserID: other.ID, Label: "ci", Hash: randomHash()}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := c.key
			k.Prefix, k.Created = "gh_"+k.ID, now()
			wantCode(t, "CreateKey", s.CreateKey(t.Context(), &k), c.code)
		})
	}
	err := s.CreateKey(t.Context(), &gatehouse.APIKey{ID: "dup2", UserID: owner.ID, Label: "ci", Hash: randomHash(), Created: now()})
	if msg := gatehouse.ErrorMessage(err); !strings.Contains(msg, `"ci"`) {
		t.Errorf("conflict message %q does not name the label", msg)
	}
	sameFields(t, "the key whose label was taken", f.get(ci.ID), ci)
}

func testRollKey(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := newFixtures(t, s)
	owner := f.user()
	base := now()
	cases := []struct {
		name        string
		prevExpires time.Time
	}{
		{"old secret valid for a while", base.Add(time.Hour)},
		{"old secret invalid at once", time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := f.key(owner.ID, f.names.next("roll"), base)
			want := *k
			want.Hash, want.PrevHash, want.PrevExpires, want.Rolled = randomHash(), k.Hash, c.prevExpires, base.Add(time.Second)
			noErr(t, "RollKey", s.RollKey(ctx, k.ID, want.Hash, want.Rolled, c.prevExpires))
			sameFields(t, "rolled key", f.get(k.ID), &want)
		})
	}
	revoked := f.key(owner.ID, "revoked", base)
	noErr(t, "RevokeKey", s.RevokeKey(ctx, revoked.ID, base))
	wantCode(t, "RollKey of a revoked key", s.RollKey(ctx, revoked.ID, randomHash(), base, base), gatehouse.CodeConflict)
	if got := f.get(revoked.ID); got.Hash != revoked.Hash || !got.Rolled.IsZero() {
		t.Errorf("a refused roll changed the key: hash %x, rolled %v", got.Hash, got.Rolled)
	}
	wantCode(t, "RollKey of a missing key", s.RollKey(ctx, "missing", randomHash(), base, base), gatehouse.CodeNotFound)
}

func testRevokeKey(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := newFixtures(t, s)
	k := f.key(f.user().ID, "k", now())
	at := now().Add(time.Minute)
	noErr(t, "RevokeKey", s.RevokeKey(ctx, k.ID, at))
	want := *k
	want.Revoked = at
	sameFields(t, "revoked key", f.get(k.ID), &want)
	if st := f.get(k.ID).Status(at, 0); st != gatehouse.StatusRevoked {
		t.Errorf("Status = %s, want revoked", st)
	}
	wantCode(t, "RevokeKey twice", s.RevokeKey(ctx, k.ID, at.Add(time.Minute)), gatehouse.CodeConflict)
	sameFields(t, "key revoked twice", f.get(k.ID), &want) // the first time stands
	wantCode(t, "RevokeKey of a missing key", s.RevokeKey(ctx, "missing", at), gatehouse.CodeNotFound)
}

func testDeleteKey(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	f := newFixtures(t, s)
	owner := f.user()
	k, kept := f.key(owner.ID, "gone", now()), f.key(owner.ID, "kept", now())
	noErr(t, "DeleteKey", s.DeleteKey(ctx, k.ID))
	_, err := s.Key(ctx, k.ID)
	wantCode(t, "Key after DeleteKey", err, gatehouse.CodeNotFound)
	wantCode(t, "DeleteKey twice", s.DeleteKey(ctx, k.ID), gatehouse.CodeNotFound)
	sameFields(t, "other key", f.get(kept.ID), kept)
	// The label is free again.
	f.key(owner.ID, "gone", now())
}
