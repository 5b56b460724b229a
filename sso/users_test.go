package sso_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/badoidc"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// badAppWith is badApp with the bad provider's configuration edited.
func badAppWith(t testing.TB, st gatehouse.Store, edit func(*sso.ProviderConfig)) (*app, *badoidc.Provider) {
	t.Helper()
	bad := badoidc.Start(t, "gatehouse", "bad-secret-long-enough-for-an-hs256-key")
	pc := sso.ProviderConfig{Name: "bad", Issuer: bad.URL, ClientID: "gatehouse", ClientSecret: "bad-secret-long-enough-for-an-hs256-key"}
	edit(&pc)
	return newApp(t, st, []sso.ProviderConfig{pc}, nil), bad
}

// TestAllowListRefusal: a provider with an email allow-list admits only
// verified addresses on it. Everyone else gets the 403 page, no session,
// no user, and a login.fail audited as not_allowed.
func TestAllowListRefusal(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a, bad := badAppWith(t, open(t), func(pc *sso.ProviderConfig) {
			pc.AllowEmails = []string{"bad.example", "someone@elsewhere.example"}
		})
		cases := []struct {
			name string
			mint func(*badoidc.Token)
		}{
			{"email in another domain", func(tk *badoidc.Token) { tk.Claims["email"] = "bad-user@evil.example" }},
			{"a domain that ends like an allowed one", func(tk *badoidc.Token) { tk.Claims["email"] = "bad-user@notbad.example" }},
			{"another address of an allowed person's domain", func(tk *badoidc.Token) { tk.Claims["email"] = "other@elsewhere.example" }},
			{"unverified email in the allowed domain", func(tk *badoidc.Token) { tk.Claims["email_verified"] = false }},
			{"email_verified missing", func(tk *badoidc.Token) { delete(tk.Claims, "email_verified") }},
			{"no email", func(tk *badoidc.Token) { delete(tk.Claims, "email") }},
		}
		for i, tc := range cases {
			bad.Mint(tc.mint)
			b := a.browser()
			p := a.loginBad(t, b)
			if p.status != http.StatusForbidden || !strings.Contains(p.body, "may not sign in here") {
				t.Errorf("%s: %d\n%s", tc.name, p.status, p.body)
			}
			if status, _ := a.me(t, b); status != http.StatusUnauthorized {
				t.Errorf("%s: a session was started", tc.name)
			}
			if got := a.failures(t); len(got) != i+1 || got[i] != "not_allowed" {
				t.Errorf("%s: audited %q, want not_allowed last", tc.name, got)
			}
		}
		if _, err := a.store.UserByIdentity(t.Context(), bad.URL, "bad-user"); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
			t.Errorf("a refused person was made a user: %v", err)
		}
		// The allowed cases: the failures above were the list's.
		for _, email := range []string{"bad-user@bad.example", "Someone@Elsewhere.example"} {
			bad.Mint(func(tk *badoidc.Token) { tk.Claims["email"] = email })
			b := a.browser()
			if p := a.loginBad(t, b); p.status != http.StatusOK {
				t.Fatalf("allowed %s: %d\n%s", email, p.status, p.body)
			}
			if status, _ := a.me(t, b); status != http.StatusOK {
				t.Fatalf("allowed %s: /api/me %d", email, status)
			}
		}
	})
}

// TestUsersKeyedByIssuerAndSubject: two providers that vouch for the same
// verified email are two people, not one: a provider cannot sign in as
// another provider's user by claiming their email.
func TestUsersKeyedByIssuerAndSubject(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a, bad := badApp(t, open(t))
		author := a.browser()
		a.login(t, author, "dev-author")
		_, fromDev := a.me(t, author)
		bad.Mint(func(tk *badoidc.Token) { tk.Claims["email"] = fromDev.Email })
		b := a.browser()
		if p := a.loginBad(t, b); p.status != http.StatusOK {
			t.Fatalf("login through bad: %d\n%s", p.status, p.body)
		}
		_, fromBad := a.me(t, b)
		if fromBad.UserID == 0 || fromBad.UserID == fromDev.UserID || fromBad.Role != "reader" {
			t.Fatalf("the same email through two issuers: dev %+v, bad %+v; want two users, the second a reader", fromDev, fromBad)
		}
		users, err := a.store.Users(t.Context(), fromDev.Email)
		if err != nil || len(users) != 2 {
			t.Fatalf("users with %s: %d (%v), want 2", fromDev.Email, len(users), err)
		}
	})
}

// TestInvitationBoundToProvider: an invitation bound to the provider
// named "bad" is not accepted through "dev", though dev vouches for the
// same verified email: that sign-in is refused (403, audited as
// invitation_other_provider), creates no user, and leaves the invitation
// pending. Signing in through "bad" then accepts it with the invited role.
func TestInvitationBoundToProvider(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		st := open(t)
		inv := &gatehouse.User{Issuer: gatehouse.IssuerInvited, Subject: "author@example.com", Kind: gatehouse.KindPerson,
			Email: "author@example.com", Role: gatehouse.RoleAdmin, InvitationProvider: "bad"}
		if err := st.CreateUser(t.Context(), inv); err != nil {
			t.Fatal(err)
		}
		a, bad := badApp(t, st)

		b := a.browser()
		p := a.pick(t, b, a.startLogin(t, b, "/"), "dev-author")
		if p.status != http.StatusForbidden || !strings.Contains(p.body, "invited to sign in with another provider") {
			t.Errorf("sign-in through dev: %d\n%s", p.status, p.body)
		}
		if status, _ := a.me(t, b); status != http.StatusUnauthorized {
			t.Errorf("/api/me after the refused sign-in = %d, want 401", status)
		}
		if got := a.failures(t); len(got) != 1 || got[0] != "invitation_other_provider" {
			t.Errorf("audited failures %q, want [invitation_other_provider]", got)
		}
		users, err := st.Users(t.Context(), "author@example.com")
		if err != nil || len(users) != 1 || users[0].ID != inv.ID || users[0].Issuer != gatehouse.IssuerInvited {
			t.Fatalf("users with the email after the refused sign-in: %d (%v), want only the pending invitation", len(users), err)
		}

		bad.Mint(func(tk *badoidc.Token) { tk.Claims["email"] = "author@example.com" })
		b = a.browser()
		if p := a.loginBad(t, b); p.status != http.StatusOK {
			t.Fatalf("sign-in through bad: %d\n%s", p.status, p.body)
		}
		if status, v := a.me(t, b); status != http.StatusOK || v.UserID != inv.ID || v.Role != "admin" {
			t.Fatalf("/api/me = %d %+v, want the invited user %d as admin", status, v, inv.ID)
		}
		got, err := st.User(t.Context(), inv.ID)
		if err != nil || got.Issuer != bad.URL || got.InvitationProvider != "" {
			t.Errorf("accepted invitation = %+v (%v), want issuer %s and no binding left", got, err, bad.URL)
		}
	})
}
