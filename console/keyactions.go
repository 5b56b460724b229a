package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

// graceChoices are the roll form's options for the old secret.
var graceChoices = []struct {
	Value string
	Grace time.Duration
	Text  string
}{
	{"0", 0, "Stop the old secret now"},
	{"1h", time.Hour, "Keep the old secret working for 1 hour"},
	{"24h", 24 * time.Hour, "Keep the old secret working for 1 day"},
	{"168h", 7 * 24 * time.Hour, "Keep the old secret working for 7 days"},
}

// keyData is the body of the pages about one key.
type keyData struct {
	Key     keyring.KeyView
	Samples []Sample
	EnvVar  string
	Graces  []expiryChoice
	Version string // the roll form's view of the key, see Roll
	Error   string
}

// key returns the caller's key named by the {id} path value; another
// user's key is not found, as in the REST API.
func (c *Console) key(r *http.Request, p *gatehouse.Principal) (*gatehouse.APIKey, error) {
	return c.keys.Get(r.Context(), p.UserID, r.PathValue("id"))
}

// Key serves GET /keys/{id}: one key, its actions, and sample code that
// uses it.
func (c *Console) Key(w http.ResponseWriter, r *http.Request) {
	c.keyPage(w, r, "key.html", func(k *gatehouse.APIKey) string { return k.Label })
}

// ConfirmRevoke serves GET /keys/{id}/revoke: the confirmation before a
// revocation.
func (c *Console) ConfirmRevoke(w http.ResponseWriter, r *http.Request) {
	c.keyPage(w, r, "revoke.html", func(k *gatehouse.APIKey) string { return "Revoke “" + k.Label + "”?" })
}

// ConfirmRoll serves GET /keys/{id}/roll: the choice of a grace period
// before a roll.
func (c *Console) ConfirmRoll(w http.ResponseWriter, r *http.Request) {
	c.keyPage(w, r, "roll.html", func(k *gatehouse.APIKey) string { return "Roll “" + k.Label + "”?" })
}

// keyPage renders one of the pages about a key.
func (c *Console) keyPage(w http.ResponseWriter, r *http.Request, page string, title func(*gatehouse.APIKey) string) {
	p, ok := c.who(w, r)
	if !ok {
		return
	}
	k, err := c.key(r, p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, page, view{Title: title(k), Nav: "keys", User: p, Data: c.keyData(r, k)})
}

func (c *Console) keyData(r *http.Request, k *gatehouse.APIKey) keyData {
	d := keyData{Key: c.keys.View(k), Samples: c.samples(r), EnvVar: EnvVar, Version: version(k)}
	for i, g := range graceChoices {
		d.Graces = append(d.Graces, expiryChoice{Value: g.Value, Text: g.Text, Checked: i == 0})
	}
	return d
}

// version names the key's secret as the roll form saw it: the time of its
// last roll (or its creation).
func version(k *gatehouse.APIKey) string {
	t := k.Created
	if !k.Rolled.IsZero() {
		t = k.Rolled
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// Revoke serves POST /keys/{id}/revoke, then redirects to the keys page,
// which confirms it.
func (c *Console) Revoke(w http.ResponseWriter, r *http.Request) {
	p, ok := c.unsafe(w, r)
	if !ok {
		return
	}
	k, err := c.keys.Revoke(r.Context(), c.actor(r, p), p.UserID, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.seeOther(w, r, "/keys?revoked="+k.ID)
}

// Roll serves POST /keys/{id}/roll: a new secret, shown once on the
// answer. The form names the secret it means to replace (version), so
// that sending it again, by a reload or from a second tab, does not roll
// the key twice and throw away the secret just shown.
func (c *Console) Roll(w http.ResponseWriter, r *http.Request) {
	p, ok := c.unsafe(w, r)
	if !ok {
		return
	}
	if err := parseForm(w, r); err != nil {
		c.fail(w, r, err)
		return
	}
	grace, ok := parseGrace(r.PostForm.Get("grace"))
	if !ok {
		c.fail(w, r, gatehouse.Errorf(gatehouse.CodeInvalid, "Choose how long the old secret keeps working."))
		return
	}
	k, err := c.key(r, p)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if r.PostForm.Get("version") != version(k) {
		c.fail(w, r, gatehouse.Errorf(gatehouse.CodeConflict, "This key was rolled after the form was opened (perhaps from another tab, or by sending the form again), so it was not rolled again. Its secret is the one shown then."))
		return
	}
	created, err := c.keys.Roll(r.Context(), c.actor(r, p), p.UserID, k.ID, grace)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := createdData{Key: c.keys.CreatedView(created), Rolled: true}
	d.OldUntil = d.Key.PreviousValidUntil
	c.showSecret(w, r, p, http.StatusOK, d)
}

func parseGrace(s string) (time.Duration, bool) {
	for _, g := range graceChoices {
		if g.Value == s {
			return g.Grace, true
		}
	}
	return 0, false
}
