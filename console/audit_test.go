package console_test

import (
	"crypto/rand"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

func TestAuditShowsOwnEventsAndAdminsSeeAll(t *testing.T) {
	h := newHarness(t)
	alice, bob, admin := h.user(gatehouse.RoleAuthor), h.user(gatehouse.RoleAuthor), h.user(gatehouse.RoleAdmin)
	_, ak := h.key(alice, "alice key", "read")
	_, bk := h.key(bob, "bob key", "read")
	if _, err := h.keys.Revoke(t.Context(), keyring.Actor{UserID: admin.ID}, bob.ID, bk.ID); err != nil {
		t.Fatal(err)
	}
	forged, err := apikey.Roll(ak.ID, rand.Reader) // alice's key id, a secret that is not hers
	if err != nil {
		t.Fatal(err)
	}
	h.withKey(http.MethodGet, "/api/me", forged.String()).mustStatus(t, http.StatusUnauthorized)
	if err := h.guard.Flush(t.Context()); err != nil { // refusals are audited in the background
		t.Fatal(err)
	}

	mine := h.signIn(alice).get("/audit").mustStatus(t, http.StatusOK)
	checkPage(t, mine)
	for _, want := range []string{"Key created", "Key refused", ak.Prefix, `label &#34;alice key&#34;`} {
		if !strings.Contains(mine.body, want) {
			t.Errorf("alice's audit lacks %q", want)
		}
	}
	for _, bad := range []string{bk.Prefix, "bob key", "Key revoked"} {
		if strings.Contains(mine.body, bad) {
			t.Errorf("alice's audit shows %q", bad)
		}
	}

	all := h.signIn(admin).get("/audit").mustStatus(t, http.StatusOK)
	for _, want := range []string{ak.Prefix, bk.Prefix, "Key revoked", "Everyone", bob.Email, admin.Email} {
		if !strings.Contains(all.body, want) {
			t.Errorf("admin's audit lacks %q", want)
		}
	}
}
