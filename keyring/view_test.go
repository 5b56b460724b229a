package keyring_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

func TestViewJSON(t *testing.T) {
	e := newEnv(t, keyring.Config{IdleExpiry: 90 * 24 * time.Hour})
	u := e.user("owner", gatehouse.RoleAuthor)
	c := e.create(u.ID, "fresh", "read")

	fresh := viewJSON(t, e.svc.View(c.Key))
	for _, field := range []string{"expires", "last_used", "last_used_addr", "rolled", "revoked", "previous_valid_until", "hash", "key", "warning"} {
		if _, ok := fresh[field]; ok {
			t.Errorf("fresh key shows %q: %v", field, fresh)
		}
	}
	if fresh["id"] != c.Key.ID || fresh["status"] != "active" || fresh["prefix"] != c.Key.Prefix || fresh["created"] != "2026-03-01T12:00:00Z" {
		t.Errorf("fresh view %v", fresh)
	}

	created := viewJSON(t, e.svc.CreatedView(c))
	if created["key"] != c.Secret || created["warning"] != keyring.Warning || created["id"] != c.Key.ID {
		t.Errorf("created view %v", created)
	}

	ctx := context.Background()
	if err := e.store.TouchKeys(ctx, []gatehouse.KeyUse{{KeyID: c.Key.ID, At: start.Add(time.Minute), Addr: "203.0.113.9"}}); err != nil {
		t.Fatal(err)
	}
	rolled, err := e.svc.Roll(ctx, keyring.Actor{}, u.ID, c.Key.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	v := viewJSON(t, e.svc.View(rolled.Key))
	if v["last_used"] != "2026-03-01T12:01:00Z" || v["last_used_addr"] != "203.0.113.9" || v["rolled"] == nil || v["previous_valid_until"] != "2026-03-01T13:00:00Z" {
		t.Errorf("rolled view %v", v)
	}
	e.clock.Advance(time.Hour)
	if v := viewJSON(t, e.svc.View(rolled.Key)); v["previous_valid_until"] != nil {
		t.Errorf("grace over, still shows previous_valid_until: %v", v)
	}
	raw, _ := json.Marshal(e.svc.View(rolled.Key))
	for _, secret := range []string{c.Secret, rolled.Secret, hex.EncodeToString(rolled.Key.Hash[:])} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("view shows a secret or hash: %s", raw)
		}
	}
}

func TestViewStatus(t *testing.T) {
	e := newEnv(t, keyring.Config{IdleExpiry: 30 * 24 * time.Hour})
	u := e.user("owner", gatehouse.RoleAuthor)
	ctx := context.Background()
	revoked := e.create(u.ID, "revoked", "read").Key
	revoked, err := e.svc.Revoke(ctx, keyring.Actor{}, u.ID, revoked.ID)
	if err != nil {
		t.Fatal(err)
	}
	short, err := e.svc.Create(ctx, keyring.Actor{}, u.ID, keyring.CreateRequest{Label: "short", Scopes: []string{"read"}, ExpiresIn: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	active := e.create(u.ID, "active", "read").Key
	tests := []struct {
		name    string
		k       *gatehouse.APIKey
		advance time.Duration
		want    gatehouse.Status
	}{
		{"active", active, 0, gatehouse.StatusActive},
		{"revoked", revoked, 0, gatehouse.StatusRevoked},
		{"not yet expired", short.Key, 59 * time.Minute, gatehouse.StatusActive},
		{"expired", short.Key, time.Minute, gatehouse.StatusExpired},
		{"idle but young", active, 28 * 24 * time.Hour, gatehouse.StatusActive},
		{"idle too long", active, 2 * 24 * time.Hour, gatehouse.StatusExpired},
	}
	for _, tt := range tests {
		e.clock.Advance(tt.advance)
		if got := e.svc.View(tt.k).Status; got != tt.want {
			t.Errorf("%s: status %s, want %s", tt.name, got, tt.want)
		}
	}
}

func viewJSON(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
