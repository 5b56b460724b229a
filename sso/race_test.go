package sso_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// hookStore runs afterRead once, right after the first UserByIdentity has
// read the user, and afterUsers once, right after the first Users has
// listed some (the invitation lookup), before the sign-in that asked can
// act on them: what an operator's command looks like when it lands in that
// gap.
type hookStore struct {
	gatehouse.Store
	once, usersOnce sync.Once
	afterRead       func(u *gatehouse.User)
	afterUsers      func(users []*gatehouse.User)
}

func (h *hookStore) UserByIdentity(ctx context.Context, issuer, subject string) (*gatehouse.User, error) {
	u, err := h.Store.UserByIdentity(ctx, issuer, subject)
	if err == nil && h.afterRead != nil {
		h.once.Do(func() { h.afterRead(u) })
	}
	return u, err
}

func (h *hookStore) Users(ctx context.Context, email string) ([]*gatehouse.User, error) {
	users, err := h.Store.Users(ctx, email)
	if err == nil && len(users) > 0 && h.afterUsers != nil {
		h.usersOnce.Do(func() { h.afterUsers(users) })
	}
	return users, err
}

// TestSignInRacingAnOperator: a returning user's sign-in reads the user,
// then an operator changes it, then the sign-in saves what the provider
// says. A disable must win: the sign-in is refused (403, no session,
// audited as disabled) and the user stays disabled, where saving the stale
// copy would have enabled them again. Any other change only makes the
// sign-in read the user again and succeed with the provider's values.
func TestSignInRacingAnOperator(t *testing.T) {
	cases := []struct {
		name    string
		operate func(*gatehouse.User)
		refused bool
	}{
		{"disable", func(u *gatehouse.User) { u.Disabled = true }, true},
		{"rename", func(u *gatehouse.User) { u.Name = "Renamed by the operator" }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
				st := open(t)
				hs := &hookStore{Store: st}
				a := newApp(t, st, nil, func(c *sso.Config) { c.Store = hs })
				// The stored name and role differ from the provider's, so
				// the sign-in has something to save.
				u := &gatehouse.User{Issuer: a.dev.Issuer(), Subject: "dev-author", Kind: gatehouse.KindPerson,
					Email: "author@example.com", Name: "Old Name", Role: gatehouse.RoleReader}
				if err := st.CreateUser(t.Context(), u); err != nil {
					t.Fatal(err)
				}
				hs.afterRead = func(read *gatehouse.User) {
					fresh, err := st.User(context.Background(), read.ID)
					if err != nil {
						t.Error(err)
						return
					}
					tc.operate(fresh)
					if err := st.UpdateUser(context.Background(), fresh); err != nil {
						t.Errorf("the operator's update: %v", err)
					}
				}
				b := a.browser()
				p := a.pick(t, b, a.startLogin(t, b, "/posts"), "dev-author")
				got, err := st.User(t.Context(), u.ID)
				if err != nil {
					t.Fatal(err)
				}
				status, _ := a.me(t, b)
				if tc.refused {
					if p.status != http.StatusForbidden || strings.Contains(p.body, "Signed in") || status != http.StatusUnauthorized {
						t.Errorf("sign-in after the disable: page %d, /api/me %d; want 403 and 401\n%s", p.status, status, p.body)
					}
					if !got.Disabled || got.Name != "Old Name" || got.Role != gatehouse.RoleReader {
						t.Errorf("user after the refused sign-in = %+v, want it disabled and unchanged", got)
					}
					if f := a.failures(t); len(f) != 1 || f[0] != "disabled" {
						t.Errorf("audited failures %q, want [disabled]", f)
					}
					return
				}
				if p.status != http.StatusOK || !strings.Contains(p.body, "Signed in") || status != http.StatusOK {
					t.Errorf("sign-in after the rename: page %d, /api/me %d; want 200 and 200\n%s", p.status, status, p.body)
				}
				if got.Disabled || got.Name != "Ada Author" || got.Role != gatehouse.RoleAuthor {
					t.Errorf("user after the sign-in = %+v, want the provider's name and role", got)
				}
			})
		})
	}
}

// TestInvitationDisabledBeforeAcceptance: the first sign-in finds the
// invitation, then an operator disables the invited user, then the sign-in
// accepts the invitation. The sign-in must go on from the user as it is
// after acceptance, not the invitation it found: it is refused (403, no
// session, audited as disabled) and the user stays disabled. The
// invitation already holds what the provider says (name, email, role), so
// a sign-in that went on from the stale copy would have nothing to save,
// meet no conflict, and sign a disabled user in.
func TestInvitationDisabledBeforeAcceptance(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		st := open(t)
		hs := &hookStore{Store: st}
		a := newApp(t, st, nil, func(c *sso.Config) { c.Store = hs })
		inv := &gatehouse.User{Issuer: gatehouse.IssuerInvited, Subject: "author@example.com", Kind: gatehouse.KindPerson,
			Email: "author@example.com", Name: "Ada Author", Role: gatehouse.RoleAuthor}
		if err := st.CreateUser(t.Context(), inv); err != nil {
			t.Fatal(err)
		}
		hooked := false
		hs.afterUsers = func(users []*gatehouse.User) {
			hooked = true
			fresh, err := st.User(context.Background(), inv.ID)
			if err != nil {
				t.Error(err)
				return
			}
			fresh.Disabled = true
			if err := st.UpdateUser(context.Background(), fresh); err != nil {
				t.Errorf("the operator's disable: %v", err)
			}
		}
		b := a.browser()
		p := a.pick(t, b, a.startLogin(t, b, "/posts"), "dev-author")
		if !hooked {
			t.Fatal("the sign-in never looked the invitation up")
		}
		status, _ := a.me(t, b)
		if p.status != http.StatusForbidden || strings.Contains(p.body, "Signed in") || status != http.StatusUnauthorized {
			t.Errorf("sign-in after the disable: page %d, /api/me %d; want 403 and 401\n%s", p.status, status, p.body)
		}
		if f := a.failures(t); len(f) != 1 || f[0] != "disabled" {
			t.Errorf("audited failures %q, want [disabled]", f)
		}
		got, err := st.User(t.Context(), inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Disabled {
			t.Errorf("user after the refused sign-in = %+v, want it disabled", got)
		}
	})
}
