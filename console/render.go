package console

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

//go:embed templates/*.html
var templateFS embed.FS

// view is what every page template receives.
type view struct {
	Title     string
	Nav       string               // the nav entry to mark as current
	User      *gatehouse.Principal // nil when signed out
	Posts     bool                 // the posts pages are served
	LogoutURL string
	Script    bool              // the page uses copy.js
	Assets    map[string]string // asset name -> versioned URL
	Data      any
	Body      template.HTML // the page's rendered body, for the layout
}

// funcs are the templates' functions; path prefixes a console path
// ("/keys") with the base path the console is served under.
func funcs(base string) template.FuncMap {
	return template.FuncMap{
		"when":   when,
		"iso":    iso,
		"scopes": func(ss []string) string { return joinOr(ss, "none") },
		"path":   func(p string) string { return base + p },
	}
}

// when formats t for people, in UTC; the zero time is a dash.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// iso formats t for a <time datetime> attribute.
func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func joinOr(ss []string, none string) string {
	if len(ss) == 0 {
		return none
	}
	var b bytes.Buffer
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}

// parsePages parses every template into one set, for a console served
// under basePath: the layout, the partials, and each page's body, which
// its file defines under the file's name without ".html". One set, not a
// copy of the layout per page: the templates stay in memory for the
// process's life, and the garbage collector walks them in every cycle.
func parsePages(basePath string) (*template.Template, error) {
	t, err := template.New("console").Funcs(funcs(basePath)).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console: parse templates: %w", err)
	}
	return t, nil
}

// render writes the page name ("keys.html") with data: the page's body,
// then the layout around it. Both are rendered into buffers first, so
// that a template error is a clean 500, not half a page. Every page is
// personal, so none is stored by any cache.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	body := strings.TrimSuffix(name, ".html")
	pages, err := c.pages()
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if pages.Lookup(body) == nil || body == "layout" {
		c.fail(w, r, fmt.Errorf("console: no page %s", name))
		return
	}
	v.LogoutURL, v.Assets, v.Posts = c.logoutURL, c.assetURLs, c.posts != nil
	var buf bytes.Buffer
	err = pages.ExecuteTemplate(&buf, body, v)
	if err == nil {
		v.Body = template.HTML(buf.String()) // escaped by html/template as it was rendered
		buf.Reset()
		err = pages.ExecuteTemplate(&buf, "layout", v)
	}
	if err != nil {
		c.log.ErrorContext(r.Context(), "console: render", "page", name, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", PageCSP)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// errorData is the body of the error page.
type errorData struct {
	Status  int
	Message string
}

// fail answers err with the error page. Internal errors are logged in full
// and shown without detail, as problem.Write does for the API.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	d := problem.New(err)
	if d.Status >= 500 {
		c.log.ErrorContext(r.Context(), "console: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	msg := d.Detail
	if msg == "" {
		msg = "Something went wrong on our side. Try again in a moment."
	}
	p, _ := gatehouse.PrincipalFrom(r.Context())
	c.render(w, r, d.Status, "error.html", view{Title: d.Title, User: p, Data: errorData{Status: d.Status, Message: msg}})
}

// who returns the signed-in principal. The route's access check has made
// sure there is one; without one the visitor is sent to sign in.
func (c *Console) who(w http.ResponseWriter, r *http.Request) (*gatehouse.Principal, bool) {
	p, ok := gatehouse.PrincipalFrom(r.Context())
	if !ok {
		http.Redirect(w, r, c.path("/"), http.StatusSeeOther)
	}
	return p, ok
}

// unsafe checks a state-changing request: it must not come from another
// origin (http.CrossOriginProtection). It answers a refused request itself.
func (c *Console) unsafe(w http.ResponseWriter, r *http.Request) (*gatehouse.Principal, bool) {
	if err := c.cop.Check(r); err != nil {
		c.fail(w, r, gatehouse.Errorf(gatehouse.CodeForbidden, "This form was sent from another site, so it was refused."))
		return nil, false
	}
	return c.who(w, r)
}

// seeOther redirects after a successful POST, so that reloading the next
// page repeats nothing. The target, a path from the console's root, never
// carries a secret.
func (c *Console) seeOther(w http.ResponseWriter, r *http.Request, target string) {
	http.Redirect(w, r, c.path(target), http.StatusSeeOther)
}
