package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/console"
	"github.com/gatehouse-dev/gatehouse/guard"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// Access is what a route requires of its caller.
type Access struct {
	public bool
	page   bool            // a console page: a browser session, see Page
	rw     bool            // read for safe methods, write for the rest
	scope  gatehouse.Scope // a named scope; "" with !public && !rw: authenticated only
}

// Public routes need no credential.
func Public() Access { return Access{public: true} }

// Auth routes need an authenticated caller, with no particular scope.
func Auth() Access { return Access{} }

// RW routes need the read scope for GET and HEAD, and write otherwise.
func RW() Access { return Access{rw: true} }

// Scope routes need the named scope.
func Scope(s gatehouse.Scope) Access { return Access{scope: s} }

// Page routes are console pages: they need a browser session (a request
// authenticated by an API key is refused with 403), and an anonymous
// visitor is sent to sign in at / (303) rather than answered 401.
func Page() Access { return Access{page: true} }

// PageScope routes are console pages whose session must also hold the
// named scope, as the API route doing the same would require.
func PageScope(s gatehouse.Scope) Access { return Access{page: true, scope: s} }

// String describes the access for "gatehouse routes".
func (a Access) String() string {
	switch {
	case a.public:
		return "public"
	case a.page && a.scope != "":
		return "console page: session, scope " + string(a.scope)
	case a.page:
		return "console page: session"
	case a.rw:
		return "authenticated, scope read (safe methods) or write"
	case a.scope != "":
		return "authenticated, scope " + string(a.scope)
	}
	return "authenticated"
}

// needs returns the scope a request with this method must hold, or "".
func (a Access) needs(method string) gatehouse.Scope {
	if a.rw {
		if method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions {
			return gatehouse.ScopeRead
		}
		return gatehouse.ScopeWrite
	}
	return a.scope
}

func (a Access) wrap(g *guard.Guard, pattern, home string, h http.Handler) http.Handler {
	if a.public {
		return h
	}
	if a.page {
		if a.scope != "" {
			h = g.Require(a.scope, h)
		}
		return sessionPage(h, home)
	}
	method, _, ok := strings.Cut(pattern, " ")
	if !ok && a.rw {
		// The scope follows from the method; without one it cannot.
		panic("server: route " + pattern + " needs a method to choose between read and write")
	}
	if s := a.needs(method); s != "" {
		return g.Require(s, h)
	}
	return g.RequireAuth(h)
}

// route is one line of the table.
type route struct {
	pattern string
	access  Access
	handler http.HandlerFunc
}

// RouteInfo describes one route of the table, for "gatehouse routes".
type RouteInfo struct {
	Pattern string
	Access  string
}

// Routes returns the effective route table of the built-in server, in the
// order it is declared.
func Routes() []RouteInfo {
	var out []RouteInfo
	for _, rt := range (&Server{console: new(console.Console), blog: new(blog.API)}).table() {
		out = append(out, RouteInfo{Pattern: rt.pattern, Access: rt.access.describe(rt.pattern)})
	}
	return append(out,
		RouteInfo{Pattern: "/api/ (anything else)", Access: "authenticated, then 404"},
		RouteInfo{Pattern: "/ (anything else)", Access: "404"},
	)
}

// describe is String for one route: with its method known, a read-or-write
// route names the one scope it needs.
func (a Access) describe(pattern string) string {
	method, _, ok := strings.Cut(pattern, " ")
	if a.rw && ok {
		return "authenticated, scope " + string(a.needs(method))
	}
	return a.String()
}

// FormatRoutes writes the table as aligned text.
func FormatRoutes(rs []RouteInfo) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%-42s %s\n", r.Pattern, r.Access)
	}
	return b.String()
}

// sessionPage passes to next only requests authenticated by a browser
// session. Anonymous visitors are redirected to the sign-in page, home; a
// key gets 403, since the console's forms are for browsers and the /api/
// routes serve keys.
func sessionPage(next http.Handler, home string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := gatehouse.PrincipalFrom(r.Context())
		switch {
		case !ok:
			http.Redirect(w, r, home, http.StatusSeeOther)
		case p.Method != gatehouse.MethodSession:
			problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeForbidden,
				"Console pages need a browser session; API keys work on the /api/ routes."))
		default:
			next.ServeHTTP(w, r)
		}
	})
}
