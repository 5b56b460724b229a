package console

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
)

// homeData is the body of the home page.
type homeData struct {
	Providers []Provider // signed out
	Scopes    string     // signed in: the scopes the role allows
	Admin     bool
}

// Home serves GET /{$}: the providers to sign in with, or, signed in, who
// the caller is and where to go next.
func (c *Console) Home(w http.ResponseWriter, r *http.Request) {
	p, ok := gatehouse.PrincipalFrom(r.Context())
	if !ok {
		c.render(w, r, http.StatusOK, "home.html", view{Title: "Sign in", Data: homeData{Providers: c.providers}})
		return
	}
	var allowed gatehouse.Scopes
	for _, s := range c.keys.Scopes() {
		if p.Role.Allows(s) {
			allowed = append(allowed, s)
		}
	}
	c.render(w, r, http.StatusOK, "home.html", view{Title: "Home", User: p,
		Data: homeData{Scopes: joinOr(allowed.Strings(), "none"), Admin: p.Has(gatehouse.ScopeAdmin)}})
}
