package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

// interferer is a gatehouse.UserUpdater whose UpdateUser, while conflicts
// remain, first changes the user through the store itself (as another
// replica or operator would, between UpdateUserWith's read and its write),
// so the update it was asked for meets a newer version.
type interferer struct {
	t         *testing.T
	s         gatehouse.Store
	conflicts int
	updates   int // UpdateUser calls
}

func (i *interferer) User(ctx context.Context, id int64) (*gatehouse.User, error) {
	return i.s.User(ctx, id)
}

func (i *interferer) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	i.updates++
	if i.conflicts > 0 {
		i.conflicts--
		other, err := i.s.User(ctx, u.ID)
		noErr(i.t, "User (interfering)", err)
		other.Role = gatehouse.RoleEditor
		other.Email = fmt.Sprintf("other%d@example.com", i.updates)
		noErr(i.t, "UpdateUser (interfering)", i.s.UpdateUser(ctx, other))
	}
	return i.s.UpdateUser(ctx, u)
}

// testUpdateUserWith: gatehouse.UpdateUserWith, on a real store. A change
// refused as stale is applied again to the user read afresh, keeping the
// concurrent change; after five refusals the conflict is returned; a change
// that changes nothing or fails writes nothing.
func testUpdateUserWith(t *testing.T, open Opener) {
	for _, conflicts := range []int{0, 1, 4} {
		t.Run(fmt.Sprintf("Conflicts%d", conflicts), func(t *testing.T) {
			ctx := t.Context()
			s := open(t)
			u := newFixtures(t, s).user()
			before := *u
			st := &interferer{t: t, s: s, conflicts: conflicts}
			var seen []*gatehouse.User
			saved, err := gatehouse.UpdateUserWith(ctx, st, u, func(u *gatehouse.User) (bool, error) {
				c := *u
				seen = append(seen, &c)
				u.Name = "Changed"
				return true, nil
			})
			noErr(t, "UpdateUserWith", err)
			if len(seen) != conflicts+1 || st.updates != conflicts+1 {
				t.Fatalf("change called %d times, UpdateUser %d times; want %d each", len(seen), st.updates, conflicts+1)
			}
			for n, c := range seen[1:] {
				if want := fmt.Sprintf("other%d@example.com", n+1); c.Email != want || c.Role != gatehouse.RoleEditor {
					t.Errorf("attempt %d was given email %q, role %s; want the user read again (%q, editor)", n+2, c.Email, c.Role, want)
				}
			}
			sameFields(t, "u after UpdateUserWith", u, &before)
			got, err := s.User(ctx, u.ID)
			noErr(t, "User", err)
			sameFields(t, "stored user", got, saved)
			if got.Name != "Changed" {
				t.Errorf("stored name %q, want Changed", got.Name)
			}
			if wantRole := map[bool]gatehouse.Role{true: gatehouse.RoleEditor, false: u.Role}[conflicts > 0]; got.Role != wantRole {
				t.Errorf("stored role %s, want %s: the concurrent change was undone", got.Role, wantRole)
			}
		})
	}

	t.Run("GivesUp", func(t *testing.T) {
		ctx := t.Context()
		s := open(t)
		u := newFixtures(t, s).user()
		st := &interferer{t: t, s: s, conflicts: 1000}
		calls := 0
		saved, err := gatehouse.UpdateUserWith(ctx, st, u, func(u *gatehouse.User) (bool, error) {
			calls++
			u.Name = "Changed"
			return true, nil
		})
		wantCode(t, "UpdateUserWith against five conflicts", err, gatehouse.CodeConflict)
		if saved != nil || calls != 5 || st.updates != 5 {
			t.Errorf("returned %v; change called %d times, UpdateUser %d times; want nil, 5, 5", saved, calls, st.updates)
		}
		got, err := s.User(ctx, u.ID)
		noErr(t, "User", err)
		if got.Name == "Changed" {
			t.Errorf("the change was saved although UpdateUserWith failed")
		}
	})

	t.Run("NoChangeOrError", func(t *testing.T) {
		ctx := t.Context()
		s := open(t)
		u := newFixtures(t, s).user()
		last, err := s.LastChange(ctx)
		noErr(t, "LastChange", err)
		st := &interferer{t: t, s: s}
		saved, err := gatehouse.UpdateUserWith(ctx, st, u, func(*gatehouse.User) (bool, error) { return false, nil })
		noErr(t, "UpdateUserWith with no change", err)
		sameFields(t, "user returned with no change", saved, u)
		refused := errors.New("refused")
		saved, err = gatehouse.UpdateUserWith(ctx, st, u, func(u *gatehouse.User) (bool, error) {
			u.Name = "Changed"
			return true, refused
		})
		if err != refused || saved != nil {
			t.Errorf("UpdateUserWith with a failing change = %v, %v; want nil and the change's error as is", saved, err)
		}
		if st.updates != 0 {
			t.Errorf("UpdateUser called %d times, want none", st.updates)
		}
		got, err := s.User(ctx, u.ID)
		noErr(t, "User", err)
		sameFields(t, "stored user", got, u)
		if after, err := s.LastChange(ctx); err != nil || after != last {
			t.Errorf("LastChange = %d (%v), want %d: something was written", after, err, last)
		}
	})
}
