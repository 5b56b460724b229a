package console

import (
	"net/url"
	"strings"
)

// knownProviders are the display names of well-known provider names.
var knownProviders = map[string]string{
	"dev":       "the development provider",
	"github":    "GitHub",
	"gitlab":    "GitLab",
	"google":    "Google",
	"microsoft": "Microsoft",
	"entra":     "Microsoft Entra ID",
	"okta":      "Okta",
	"auth0":     "Auth0",
	"keycloak":  "Keycloak",
}

// ProvidersFor returns the sign-in buttons for the configured provider
// names, in order, each starting GET /auth/login?provider=NAME. Well-known
// names get their usual spelling; others are shown capitalised.
func ProvidersFor(names []string) []Provider {
	out := make([]Provider, 0, len(names))
	for _, n := range names {
		display, ok := knownProviders[n]
		if !ok && n != "" {
			display = strings.ToUpper(n[:1]) + n[1:]
		}
		out = append(out, Provider{Name: n, DisplayName: display, LoginURL: "/auth/login?provider=" + url.QueryEscape(n)})
	}
	return out
}
