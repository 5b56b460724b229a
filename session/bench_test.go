package session_test

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
)

// BenchmarkAuthenticateSession measures the per-request cost of a session
// cookie: the session read by hash, its user read by id, the checks, and
// the use noted in memory (no store write).
func BenchmarkAuthenticateSession(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			benchAuthenticate(b, be)
		})
	}
}

func benchAuthenticate(b *testing.B, be backend) {
	e := newEnv(b, be, nil)
	br := e.browser()
	br.signIn(e.user(gatehouse.RoleAuthor))
	r := cookieRequest("GET", br.cookie(session.CookieName))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := e.m.Authenticate(r); !ok || err != nil {
			b.Fatalf("Authenticate: %v, %v", ok, err)
		}
	}
}
