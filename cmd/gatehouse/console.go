package main

import (
	"log/slog"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/console"
	"github.com/gatehouse-dev/gatehouse/keyring"
	"github.com/gatehouse-dev/gatehouse/policy"
	"github.com/gatehouse-dev/gatehouse/session"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// newConsole returns the web console over the same services as the API,
// offering the configured providers on its sign-in page.
func newConsole(c *serveConfig, st gatehouse.Store, keys *keyring.Service, posts *blog.Service, authz *policy.Authorizer,
	sessions *session.Manager, signIn *sso.Service, log *slog.Logger) (*console.Console, error) {
	var names []string
	if signIn != nil {
		names = signIn.Providers()
	}
	return console.New(console.Config{
		Keys: keys, Posts: posts, Policy: authz, Audit: st, Users: st, Sessions: sessions,
		Providers: console.ProvidersFor(names), ClientAddr: c.proxies.ClientAddr, Logger: log,
	})
}
