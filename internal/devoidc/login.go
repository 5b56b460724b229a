package devoidc

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// signInTemplate is the page where one picks a demo person. It has no
// script: a form with one button per person.
var signInTemplate = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Development sign-in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>Development sign-in</h1>
<p><strong>For development only.</strong> This provider signs anyone in as anyone; it has no passwords.</p>
<form method="post" action="{{.Action}}">
<input type="hidden" name="id" value="{{.ID}}">
{{range .People}}<p><button type="submit" name="subject" value="{{.Subject}}">Sign in as {{.Name}} &lt;{{.Email}}&gt;</button></p>
{{end}}</form>
</body></html>
`))

// signInPage serves GET {issuer}/login?authRequestID=...
func (p *Provider) signInPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	if _, err := p.store.AuthRequestByID(r.Context(), id); err != nil {
		http.Error(w, "unknown or finished sign-in request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	data := struct {
		Action, ID string
		People     []Person
	}{p.issuer + "/login", id, p.store.people}
	if err := signInTemplate.Execute(w, data); err != nil {
		p.log.ErrorContext(r.Context(), "devoidc: sign-in page", "err", err)
	}
}

// signIn serves POST {issuer}/login: it signs the request in as the chosen
// person and sends the browser on to the OP's callback, which redirects to
// the client with a code.
func (p *Provider) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	id, subject := r.PostFormValue("id"), r.PostFormValue("subject")
	if err := p.store.signIn(id, subject); err != nil {
		http.Error(w, "unknown sign-in request or person", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(r.Context(), id), http.StatusSeeOther)
}

// signInCSP is the provider's Content-Security-Policy: no script, no
// styles from anywhere, and forms may post only to the provider itself and
// be redirected on to the registered clients' callbacks (form-action also
// governs the redirects that follow a form submission).
func signInCSP(clients []Client) string {
	targets := []string{"'self'"}
	for _, c := range clients {
		for _, uri := range c.RedirectURIs {
			if u, err := url.Parse(uri); err == nil && u.Host != "" {
				o := u.Scheme + "://" + u.Host
				if !slices.Contains(targets, o) {
					targets = append(targets, o)
				}
			}
		}
	}
	return "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action " + strings.Join(targets, " ")
}
