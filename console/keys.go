package console

import (
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/keyring"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// scopeHelp describes the built-in scopes on the create form.
var scopeHelp = map[gatehouse.Scope]string{
	gatehouse.ScopeRead:  "read (GET requests)",
	gatehouse.ScopeWrite: "change things (POST, PATCH, DELETE)",
	gatehouse.ScopeKeys:  "manage your API keys",
	gatehouse.ScopeAdmin: "operator actions",
}

// expiryChoice is one option of the create form's expiry.
type expiryChoice struct {
	Value, Text string
	Checked     bool
}

var expiryChoices = []expiryChoice{
	{Value: "never", Text: "Never"},
	{Value: "30d", Text: "In 30 days"},
	{Value: "90d", Text: "In 90 days"},
	{Value: "365d", Text: "In 1 year"},
	{Value: "date", Text: "On a date"},
}

// scopeOption is one checkbox of the create form.
type scopeOption struct {
	Name        string
	Description string
	Checked     bool
}

// createForm is the create form's state: empty, or what was sent back
// with errors.
type createForm struct {
	Label         string
	Scopes        []scopeOption
	Expires       string
	ExpiresOn     string
	MinDate       string
	ExpiryChoices []expiryChoice
	Errors        formErrors
}

// keysData is the body of the keys page.
type keysData struct {
	Keys   []keyring.KeyView
	Form   createForm
	Notice string
}

// Keys serves GET /keys: the caller's keys and the create form.
func (c *Console) Keys(w http.ResponseWriter, r *http.Request) {
	p, ok := c.who(w, r)
	if !ok {
		return
	}
	c.keysPage(w, r, p, http.StatusOK, c.newForm(p, nil, "never", ""), "")
}

// keysPage renders the keys page with form in the state given.
func (c *Console) keysPage(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, status int, form createForm, notice string) {
	keys, err := c.keys.List(r.Context(), p.UserID)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	views := make([]keyring.KeyView, len(keys))
	for i, k := range keys {
		views[i] = c.keys.View(k)
	}
	if id := r.URL.Query().Get("revoked"); id != "" && notice == "" {
		notice = revokedNotice(views, id)
	}
	c.render(w, r, status, "keys.html", view{Title: "API keys", Nav: "keys", User: p,
		Data: keysData{Keys: views, Form: form, Notice: notice}})
}

// revokedNotice confirms a revocation after the redirect that follows it;
// an id that is not among the caller's keys says nothing.
func revokedNotice(views []keyring.KeyView, id string) string {
	for _, v := range views {
		if v.ID == id && v.Status == gatehouse.StatusRevoked {
			return "The key “" + v.Label + "” was revoked. Programs that use it now get 401."
		}
	}
	return ""
}

// newForm returns the create form with the scopes the caller's role
// allows, checked as given (nil: read only).
func (c *Console) newForm(p *gatehouse.Principal, checked []string, expires, on string) createForm {
	f := createForm{Expires: expires, ExpiresOn: on, MinDate: c.now().UTC().Format(time.DateOnly)}
	set := gatehouse.NewScopes(gatehouseScopes(checked)...)
	if checked == nil {
		set = gatehouse.NewScopes(gatehouse.ScopeRead)
	}
	for _, s := range c.keys.Scopes() {
		if p.Role.Allows(s) {
			f.Scopes = append(f.Scopes, scopeOption{Name: string(s), Description: scopeHelp[s], Checked: set.Has(s)})
		}
	}
	for _, ch := range expiryChoices {
		ch.Checked = ch.Value == expires
		f.ExpiryChoices = append(f.ExpiryChoices, ch)
	}
	return f
}

func gatehouseScopes(names []string) []gatehouse.Scope {
	out := make([]gatehouse.Scope, len(names))
	for i, n := range names {
		out[i] = gatehouse.Scope(n)
	}
	return out
}

// createdData is the body of the page that shows a new secret once.
type createdData struct {
	Key      keyring.CreatedView
	Rolled   bool
	Samples  []Sample
	EnvVar   string
	OldUntil time.Time // a roll's grace: when the old secret stops working
}

// CreateKey serves POST /keys: it creates a key and answers with the only
// page that shows its secret. A form with errors comes back with each
// error beside its field.
func (c *Console) CreateKey(w http.ResponseWriter, r *http.Request) {
	p, ok := c.unsafe(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r); err != nil {
		c.fail(w, r, err)
		return
	}
	f := r.PostForm
	form := c.newForm(p, f["scope"], f.Get("expires"), f.Get("expires_on"))
	form.Label = f.Get("label")
	req, errs := createRequest(form, f["scope"], c.now())
	if errs.Any() {
		form.Errors = errs
		c.keysPage(w, r, p, http.StatusBadRequest, form, "")
		return
	}
	created, err := c.keys.Create(r.Context(), c.actor(r, p), p.UserID, req)
	if clientError(err) {
		form.Errors = placeKeyError(err)
		c.keysPage(w, r, p, problem.Status(err), form, "")
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.showSecret(w, r, p, http.StatusCreated, createdData{Key: c.keys.CreatedView(created)})
}

// showSecret renders the page with a new secret. It is never stored by a
// cache (render sends no-store), and it is the answer to a POST: the
// secret is in no URL and no redirect.
func (c *Console) showSecret(w http.ResponseWriter, r *http.Request, p *gatehouse.Principal, status int, d createdData) {
	d.Samples, d.EnvVar = c.samples(r), EnvVar
	title := "Your new key"
	if d.Rolled {
		title = "Your key's new secret"
	}
	c.render(w, r, status, "created.html", view{Title: title, Nav: "keys", User: p, Script: true, Data: d})
}

// createRequest turns the form into a keyring request. It checks only
// what the form adds (the expiry choice and date); the keyring checks the
// rest.
func createRequest(form createForm, scopes []string, now time.Time) (keyring.CreateRequest, formErrors) {
	req := keyring.CreateRequest{Label: form.Label, Scopes: scopes}
	var errs formErrors
	if len(scopes) == 0 {
		errs.Scopes = "Choose at least one scope."
	}
	switch form.Expires {
	case "never":
	case "30d", "90d", "365d":
		req.ExpiresIn = form.Expires
	case "date":
		at, msg := expiryDate(form.ExpiresOn, now)
		errs.Expires, req.ExpiresAt = msg, at
	default:
		errs.Expires = "Choose when the key expires."
	}
	return req, errs
}

// expiryDate reads a YYYY-MM-DD date; the key works until the end of
// that day, UTC.
func expiryDate(s string, now time.Time) (*time.Time, string) {
	if s == "" {
		return nil, "Enter the date the key expires, or choose another option."
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, "Enter the date as YYYY-MM-DD, for example " + now.UTC().AddDate(0, 1, 0).Format(time.DateOnly) + "."
	}
	end := d.AddDate(0, 0, 1)
	if !end.After(now) {
		return nil, "The date must be today or later."
	}
	return &end, ""
}

// samples are the sample programs for the server the browser reached:
// the scheme and host it used, and the console's SamplePath.
func (c *Console) samples(r *http.Request) []Sample {
	return samplesFor("https://" + r.Host + c.samplePath)
}
