package guard_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

// TestPreviousSecretCannotManageKeys: during a roll's grace period the
// previous secret still authenticates, for the clients not yet updated,
// but without the keys scope. Whoever leaked the old secret must not be
// able to roll the key again (and so learn the new secret and lock its
// owner out), nor make keys of their own.
func TestPreviousSecretCannotManageKeys(t *testing.T) {
	for _, cached := range []bool{true, false} {
		name := map[bool]string{true: "cached", false: "read from the store"}[cached]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, nil)
			if cached {
				e.run()
			}
			old := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead, gatehouse.ScopeKeys)
			mux := http.NewServeMux()
			mux.Handle("GET /api/posts", e.g.Require(gatehouse.ScopeRead, echo))
			mux.Handle("POST /api/keys", e.g.Require(gatehouse.ScopeKeys, echo))
			mux.Handle("POST /api/keys/{id}/roll", e.g.Require(gatehouse.ScopeKeys, echo))
			h := e.g.Authenticate(mux)
			rolled, err := apikey.Roll(old[10:26], rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.store.RollKey(context.Background(), rolled.ID, rolled.Hash(), t0, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			e.g.InvalidateKey(rolled.ID)
			if cached {
				e.warm(e.handler(gatehouse.ScopeRead), old)
			}
			tests := []struct {
				secret, method, target string
				want                   int
			}{
				{old, "GET", "/api/posts", http.StatusOK},
				{old, "POST", "/api/keys", http.StatusForbidden},
				{old, "POST", "/api/keys/" + rolled.ID + "/roll", http.StatusForbidden},
				{rolled.String(), "POST", "/api/keys", http.StatusOK},
				{rolled.String(), "POST", "/api/keys/" + rolled.ID + "/roll", http.StatusOK},
				{old, "POST", "/api/keys/" + rolled.ID + "/roll", http.StatusForbidden}, // after the new one was cached
			}
			for _, tt := range tests {
				r := httptest.NewRequest(tt.method, tt.target, nil)
				r.RemoteAddr = "192.0.2.1:40000"
				r.Header.Set("Authorization", "Bearer "+tt.secret)
				w := serve(h, r)
				if w.Code != tt.want {
					t.Fatalf("%s %s with the %s secret: %d, want %d (%s)", tt.method, tt.target,
						map[bool]string{true: "previous", false: "new"}[tt.secret == old], w.Code, tt.want, w.Body)
				}
				if tt.want == http.StatusForbidden {
					if d := details(t, w); d.Error != "insufficient_scope" || d.Scope != string(gatehouse.ScopeKeys) {
						t.Fatalf("%s %s: problem %+v", tt.method, tt.target, d)
					}
				}
			}
			p, err := e.g.Verify(context.Background(), old, "192.0.2.1")
			if err != nil || p.Has(gatehouse.ScopeKeys) || !p.Has(gatehouse.ScopeRead) || p.KeyID != rolled.ID {
				t.Fatalf("Verify with the previous secret: %+v, %v", p, err)
			}
		})
	}
}
