package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// BenchmarkKeyLookup measures Key, the query authentication makes when a
// key is not in its cache.
func BenchmarkKeyLookup(b *testing.B) {
	s := mustOpen(b)
	u := &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: "bench", Kind: gatehouse.KindService, Role: gatehouse.RoleReader}
	if err := s.CreateUser(b.Context(), u); err != nil {
		b.Fatal(err)
	}
	const n = 1000
	for i := range n {
		k := &gatehouse.APIKey{ID: fmt.Sprintf("key%04d", i), UserID: u.ID, Label: fmt.Sprint(i), Prefix: "gh_",
			Hash: [32]byte{byte(i), byte(i >> 8), 1}, Scopes: gatehouse.NewScopes(gatehouse.ScopeRead), Created: time.Now()}
		if err := s.CreateKey(b.Context(), k); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		if _, err := s.Key(b.Context(), fmt.Sprintf("key%04d", i%n)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
