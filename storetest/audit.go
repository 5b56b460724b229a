package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func testAudit(t *testing.T, open Opener) {
	t.Run("AppendAndFilter", func(t *testing.T) { testAuditFilter(t, open(t)) })
	t.Run("Limit", func(t *testing.T) { testAuditLimit(t, open(t)) })
}

func testAuditFilter(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	base := now()
	events := []*gatehouse.AuditEvent{
		{Time: base.Add(-3 * time.Hour), Action: gatehouse.ActionUserCreate, UserID: 1},
		{Time: base.Add(-2 * time.Hour), Action: gatehouse.ActionKeyCreate, ActorID: 1, UserID: 2, KeyID: "k2", KeyPrefix: "gh_k2", Detail: "label ci"},
		{Time: base.Add(-time.Hour), Action: gatehouse.ActionKeyReject, KeyPrefix: "gh_zz", Addr: "192.0.2.9:5", Reason: "unknown key"},
		{Time: base.Add(-time.Hour), Action: gatehouse.ActionKeyRevoke, ActorID: 2, UserID: 2, KeyID: "k2"},
		{Action: gatehouse.ActionKeyRoll, ActorID: 3, UserID: 3, KeyID: "k3"}, // Time set by the store
	}
	for _, e := range events {
		noErr(t, "AppendAudit", s.AppendAudit(ctx, e))
		if e.ID == 0 || e.Time.IsZero() {
			t.Fatalf("AppendAudit left ID %d, Time %v", e.ID, e.Time)
		}
	}
	cases := []struct {
		name   string
		filter gatehouse.AuditFilter
		want   []int // indexes into events, newest first
	}{
		{"all", gatehouse.AuditFilter{}, []int{4, 3, 2, 1, 0}},
		{"user as subject or actor", gatehouse.AuditFilter{UserID: 1}, []int{1, 0}},
		{"user 2", gatehouse.AuditFilter{UserID: 2}, []int{3, 1}},
		{"key", gatehouse.AuditFilter{KeyID: "k2"}, []int{3, 1}},
		{"since, inclusive", gatehouse.AuditFilter{Since: base.Add(-2 * time.Hour)}, []int{4, 3, 2, 1}},
		{"user and since", gatehouse.AuditFilter{UserID: 2, Since: base.Add(-90 * time.Minute)}, []int{3}},
		{"limit", gatehouse.AuditFilter{Limit: 2}, []int{4, 3}},
		{"no match", gatehouse.AuditFilter{KeyID: "none"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.AuditEvents(ctx, c.filter)
			noErr(t, "AuditEvents", err)
			if len(got) != len(c.want) {
				t.Fatalf("got %d events, want %d", len(got), len(c.want))
			}
			for i, e := range got {
				sameFields(t, "event", e, events[c.want[i]])
			}
		})
	}
}

func testAuditLimit(t *testing.T, s gatehouse.Store) {
	ctx := t.Context()
	base := now()
	for i := range 101 {
		e := &gatehouse.AuditEvent{Time: base.Add(time.Duration(i) * time.Millisecond), Action: gatehouse.ActionKeyReject, Reason: "test"}
		noErr(t, "AppendAudit", s.AppendAudit(ctx, e))
	}
	cases := []struct{ limit, want int }{{0, 100}, {-1, 100}, {101, 101}, {5000, 101}}
	for _, c := range cases {
		got, err := s.AuditEvents(ctx, gatehouse.AuditFilter{Limit: c.limit})
		noErr(t, "AuditEvents", err)
		if len(got) != c.want {
			t.Errorf("Limit %d: got %d events, want %d", c.limit, len(got), c.want)
		}
		if len(got) > 0 && !got[0].Time.Equal(base.Add(100*time.Millisecond)) {
			t.Errorf("Limit %d: first event at %v, want the newest", c.limit, got[0].Time)
		}
	}
}
