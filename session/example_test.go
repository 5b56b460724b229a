package session_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/session"
)

// A server authenticates browser sessions in its guard, beside API keys,
// and keeps the Manager's Run going to write batched uses.
func Example() {
	var store gatehouse.Store // a *sqlite.Store or *postgres.Store
	sessions, err := session.New(session.Config{Store: store, IdleTimeout: 30 * time.Minute})
	if err != nil {
		log.Fatal(err)
	}
	g, err := guard.New(guard.Config{Store: store, Sessions: sessions})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	go sessions.Run(ctx)
	go g.Run(ctx)

	mux := http.NewServeMux()
	mux.Handle("GET /api/me", g.Require(gatehouse.ScopeRead, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		w.Write([]byte(p.Email))
	})))
	mux.HandleFunc("POST /auth/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := sessions.End(r.Context(), w, r); err != nil {
			http.Error(w, "logout failed", http.StatusInternalServerError)
		}
	})
	_ = g.Authenticate(mux) // serve this over HTTPS
}
