package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/console"
)

// checkPage fails unless r is a console page with the console's headers.
func checkPage(t *testing.T, r reply) {
	t.Helper()
	if got := r.header.Get("Content-Security-Policy"); got != console.PageCSP {
		t.Errorf("CSP %q, want %q", got, console.PageCSP)
	}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
	if got := r.header.Get("Content-Type"); got != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).MatchString(r.body) || strings.Contains(r.body, " style=") ||
		regexp.MustCompile(`\son[a-z]+=`).MatchString(r.body) {
		t.Errorf("page has inline script or style:\n%s", r.body)
	}
}

func TestKeysPageShowsOnlyOwnKeysWithoutSecrets(t *testing.T) {
	h := newHarness(t)
	alice, bob := h.user(gatehouse.RoleAuthor), h.user(gatehouse.RoleAuthor)
	aliceSecret, aliceKey := h.key(alice, "alice deploy", "read")
	_, bobKey := h.key(bob, "bob backup", "read")

	r := h.signIn(alice).get("/keys").mustStatus(t, http.StatusOK)
	checkPage(t, r)
	for _, want := range []string{"alice deploy", aliceKey.Prefix, `action="/keys"`, `name="label"`, `value="read"`, `value="write"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("keys page lacks %q", want)
		}
	}
	for _, bad := range []string{"bob backup", bobKey.Prefix, aliceSecret, `value="admin"`} {
		if strings.Contains(r.body, bad) {
			t.Errorf("keys page shows %q", bad)
		}
	}
	if s := secrets(r.body); len(s) != 0 {
		t.Errorf("keys page shows key texts %q", s)
	}
}

// created submits the create form and returns the one page with the secret.
func created(t *testing.T, b *browser, label string, extra url.Values) (reply, string) {
	t.Helper()
	form := url.Values{"label": {label}, "scope": {"read"}, "expires": {"30d"}}
	for k, v := range extra {
		form[k] = v
	}
	r := b.post("/keys", form).mustStatus(t, http.StatusCreated)
	s := secrets(r.body)
	if len(s) != 1 {
		t.Fatalf("creation page shows %d key texts, want 1:\n%s", len(s), r.body)
	}
	return r, s[0]
}

func TestCreateKeyShowsTheSecretOnceAndItWorks(t *testing.T) {
	h := newHarness(t)
	u := h.user(gatehouse.RoleAuthor)
	b := h.signIn(u)
	r, secret := created(t, b, "ci deploy", nil)
	checkPage(t, r)
	if r.header.Get("Location") != "" {
		t.Errorf("creation answered with Location %q", r.header.Get("Location"))
	}
	for _, want := range []string{"Store this key now", `data-copy="secret"`, "copy.js", console.EnvVar, "HTTPBasicAuth"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("creation page lacks %q", want)
		}
	}
	me := h.withKey(http.MethodGet, "/api/me", secret).mustStatus(t, http.StatusOK)
	if !strings.Contains(me.body, u.Email) {
		t.Errorf("/api/me with the new key: %s", me.body)
	}
	keys, _ := h.keys.List(t.Context(), u.ID)
	if len(keys) != 1 || keys[0].Label != "ci deploy" || !keys[0].Scopes.Has(gatehouse.ScopeRead) || keys[0].Scopes.Has(gatehouse.ScopeWrite) {
		t.Fatalf("stored keys %+v", keys)
	}
	if d := time.Until(keys[0].Expires); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("expires in %s, want 30 days", d)
	}
	for _, path := range []string{"/keys", "/keys/" + keys[0].ID, "/keys/" + keys[0].ID + "/roll", "/keys/" + keys[0].ID + "/revoke", "/audit", "/"} {
		if p := b.get(path).mustStatus(t, http.StatusOK); strings.Contains(p.body, secret) || len(secrets(p.body)) > 0 {
			t.Errorf("%s shows the secret again", path)
		}
	}
}

func TestCreateKeyExpiryChoices(t *testing.T) {
	h := newHarness(t)
	b := h.signIn(h.user(gatehouse.RoleAuthor))
	on := time.Now().UTC().AddDate(0, 2, 0).Format(time.DateOnly)
	tests := []struct {
		expires, on string
		want        time.Duration // from now; 0: never
	}{
		{"never", "", 0},
		{"30d", "", 30 * 24 * time.Hour},
		{"90d", "", 90 * 24 * time.Hour},
		{"365d", "", 365 * 24 * time.Hour},
		{"date", on, 0},
	}
	for _, tt := range tests {
		t.Run(tt.expires, func(t *testing.T) {
			_, secret := created(t, b, "key "+tt.expires, url.Values{"expires": {tt.expires}, "expires_on": {tt.on}})
			k, err := h.store.Key(t.Context(), strings.Split(secret, "_")[1])
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.expires == "date":
				want, _ := time.Parse(time.DateOnly, on)
				if !k.Expires.Equal(want.AddDate(0, 0, 1)) {
					t.Errorf("expires %s, want the end of %s", k.Expires, on)
				}
			case tt.want == 0 && !k.Expires.IsZero():
				t.Errorf("expires %s, want never", k.Expires)
			case tt.want != 0 && (time.Until(k.Expires) > tt.want || time.Until(k.Expires) < tt.want-time.Minute):
				t.Errorf("expires in %s, want %s", time.Until(k.Expires), tt.want)
			}
		})
	}
}

func TestCreateKeyErrorsBesideTheirField(t *testing.T) {
	h := newHarness(t)
	reader := h.user(gatehouse.RoleReader)
	b := h.signIn(reader)
	h.key(reader, "taken", "read")
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	tests := []struct {
		name   string
		form   url.Values
		status int
		field  string // the id of the error paragraph
		text   string
	}{
		{"empty label", url.Values{"label": {"  "}, "scope": {"read"}, "expires": {"never"}}, 400, "label-error", "needs a label"},
		{"control character in label", url.Values{"label": {"a\u202eb"}, "scope": {"read"}, "expires": {"never"}}, 400, "label-error", "direction-changing"},
		{"label taken", url.Values{"label": {"taken"}, "scope": {"read"}, "expires": {"never"}}, 409, "label-error", "already have a key with this label"},
		{"no scope", url.Values{"label": {"x"}, "expires": {"never"}}, 400, "scopes-error", "at least one scope"},
		{"unknown scope", url.Values{"label": {"x"}, "scope": {"root"}, "expires": {"never"}}, 400, "scopes-error", "unknown scope"},
		{"scope the role forbids (forged form)", url.Values{"label": {"x"}, "scope": {"write"}, "expires": {"never"}}, 403, "scopes-error", "does not allow"},
		{"no expiry choice", url.Values{"label": {"x"}, "scope": {"read"}}, 400, "expires-error", "Choose when"},
		{"unknown expiry", url.Values{"label": {"x"}, "scope": {"read"}, "expires": {"5y"}}, 400, "expires-error", "Choose when"},
		{"date missing", url.Values{"label": {"x"}, "scope": {"read"}, "expires": {"date"}}, 400, "expires-error", "Enter the date"},
		{"date malformed", url.Values{"label": {"x"}, "scope": {"read"}, "expires": {"date"}, "expires_on": {"31/12/2030"}}, 400, "expires-error", "YYYY-MM-DD"},
		{"date past", url.Values{"label": {"x"}, "scope": {"read"}, "expires": {"date"}, "expires_on": {yesterday}}, 400, "expires-error", "today or later"},
		{"date too far", url.Values{"label": {"x"}, "scope": {"read"}, "expires": {"date"}, "expires_on": {"2999-01-01"}}, 400, "expires-error", "10 years"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.post("/keys", tt.form).mustStatus(t, tt.status)
			checkPage(t, r)
			para := regexp.MustCompile(`<p class="field-error" id="` + tt.field + `">(.*?)</p>`).FindStringSubmatch(r.body)
			if para == nil || !strings.Contains(para[1], tt.text) {
				t.Fatalf("no %s saying %q:\n%s", tt.field, tt.text, r.body)
			}
			if strings.Count(r.body, `class="field-error"`) != 1 {
				t.Errorf("more than one error shown")
			}
			checkErrorBesideField(t, r.body, tt.field)
			if len(secrets(r.body)) != 0 {
				t.Errorf("an error page shows a key")
			}
		})
	}
	if keys, _ := h.keys.List(t.Context(), reader.ID); len(keys) != 1 {
		t.Errorf("refused forms made keys: %d keys", len(keys))
	}
	// What was typed comes back.
	r := b.post("/keys", url.Values{"label": {"kept label"}, "expires": {"90d"}}).mustStatus(t, 400)
	if !strings.Contains(r.body, `value="kept label"`) || !regexp.MustCompile(`id="expires-90d" name="expires" value="90d" checked`).MatchString(r.body) {
		t.Errorf("the form did not keep what was sent:\n%s", r.body)
	}
}

func TestRevokeKey(t *testing.T) {
	h := newHarness(t)
	u, other := h.user(gatehouse.RoleAuthor), h.user(gatehouse.RoleAuthor)
	b := h.signIn(u)
	secret, k := h.key(u, "to revoke", "read")
	otherSecret, otherKey := h.key(other, "not yours", "read")

	confirm := b.get("/keys/"+k.ID+"/revoke").mustStatus(t, http.StatusOK)
	if !strings.Contains(confirm.body, `<form method="post" action="/keys/`+k.ID+`/revoke"`) {
		t.Fatalf("no confirmation form:\n%s", confirm.body)
	}
	h.withKey("GET", "/api/me", secret).mustStatus(t, http.StatusOK) // the GET changed nothing

	r := b.post("/keys/"+k.ID+"/revoke", url.Values{}).mustStatus(t, http.StatusSeeOther)
	if loc := r.header.Get("Location"); loc != "/keys?revoked="+k.ID {
		t.Errorf("Location %q", loc)
	}
	h.withKey("GET", "/api/me", secret).mustStatus(t, http.StatusUnauthorized)
	if p := b.get("/keys?revoked=" + k.ID); !strings.Contains(p.body, "was revoked") || !strings.Contains(p.body, "status-revoked") {
		t.Errorf("keys page does not confirm the revocation:\n%s", p.body)
	}
	b.post("/keys/"+k.ID+"/revoke", url.Values{}).mustStatus(t, http.StatusConflict)

	// Another user's key: not found, and untouched.
	b.get("/keys/"+otherKey.ID+"/revoke").mustStatus(t, http.StatusNotFound)
	b.post("/keys/"+otherKey.ID+"/revoke", url.Values{}).mustStatus(t, http.StatusNotFound)
	h.withKey("GET", "/api/me", otherSecret).mustStatus(t, http.StatusOK)
	if p := b.get("/keys?revoked=" + otherKey.ID); strings.Contains(p.body, "not yours") {
		t.Errorf("the notice named another user's key")
	}
}

// rollForm reads the roll confirmation's form.
func rollForm(t *testing.T, b *browser, id, grace string) url.Values {
	t.Helper()
	r := b.get("/keys/"+id+"/roll").mustStatus(t, http.StatusOK)
	m := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no version in the roll form:\n%s", r.body)
	}
	return url.Values{"version": {m[1]}, "grace": {grace}}
}

func TestRollKey(t *testing.T) {
	h := newHarness(t)
	u := h.user(gatehouse.RoleAuthor)
	b := h.signIn(u)

	t.Run("with grace", func(t *testing.T) {
		old, k := h.key(u, "graceful", "read")
		form := rollForm(t, b, k.ID, "1h")
		r := b.post("/keys/"+k.ID+"/roll", form).mustStatus(t, http.StatusOK)
		checkPage(t, r)
		s := secrets(r.body)
		if len(s) != 1 || s[0] == old {
			t.Fatalf("roll page shows %q", s)
		}
		if !strings.Contains(r.body, "old secret keeps working until") {
			t.Errorf("roll page does not give the grace period")
		}
		h.withKey("GET", "/api/me", s[0]).mustStatus(t, http.StatusOK)
		h.withKey("GET", "/api/me", old).mustStatus(t, http.StatusOK)

		// The same form again (a reload, a second tab) does not roll twice.
		again := b.post("/keys/"+k.ID+"/roll", form).mustStatus(t, http.StatusConflict)
		if len(secrets(again.body)) != 0 {
			t.Errorf("the repeated roll shows a key")
		}
		h.withKey("GET", "/api/me", s[0]).mustStatus(t, http.StatusOK)
	})
	t.Run("without grace", func(t *testing.T) {
		old, k := h.key(u, "abrupt", "read")
		r := b.post("/keys/"+k.ID+"/roll", rollForm(t, b, k.ID, "0")).mustStatus(t, http.StatusOK)
		if !strings.Contains(r.body, "old secret stopped working") {
			t.Errorf("roll page does not say the old secret stopped")
		}
		h.withKey("GET", "/api/me", old).mustStatus(t, http.StatusUnauthorized)
		h.withKey("GET", "/api/me", secrets(r.body)[0]).mustStatus(t, http.StatusOK)
	})
	t.Run("bad grace", func(t *testing.T) {
		_, k := h.key(u, "bad grace", "read")
		form := rollForm(t, b, k.ID, "1h")
		form.Set("grace", "999h")
		b.post("/keys/"+k.ID+"/roll", form).mustStatus(t, http.StatusBadRequest)
	})
	t.Run("revoked", func(t *testing.T) {
		_, k := h.key(u, "gone", "read")
		form := rollForm(t, b, k.ID, "0")
		b.post("/keys/"+k.ID+"/revoke", url.Values{}).mustStatus(t, http.StatusSeeOther)
		b.post("/keys/"+k.ID+"/roll", form).mustStatus(t, http.StatusConflict)
	})
}

// fieldOpen is the start tag of a form field's container.
var fieldOpen = regexp.MustCompile(`<(div|fieldset) class="field[ "][^>]*>`)

// describedBy matches a start tag with an aria-describedby attribute.
var describedBy = regexp.MustCompile(`<(?:input|textarea|select|fieldset)\b[^>]*\baria-describedby="([^"]*)"[^>]*>`)

// checkErrorBesideField checks that the error paragraph errID sits inside
// one field container (div.field or fieldset.field), marked has-error, and
// that the container itself or a control in it names errID in its
// aria-describedby, and nothing outside it does.
func checkErrorBesideField(t *testing.T, body, errID string) {
	t.Helper()
	var field string
	for _, m := range fieldOpen.FindAllStringSubmatchIndex(body, -1) {
		c := element(body, m[0], body[m[2]:m[3]])
		if strings.Contains(c, `id="`+errID+`"`) {
			if field != "" {
				t.Fatalf("%s is in two field containers", errID)
			}
			field = c
		}
	}
	if field == "" {
		t.Fatalf("%s is in no field container:\n%s", errID, body)
	}
	if open := field[:strings.Index(field, ">")]; !strings.Contains(open, "has-error") {
		t.Errorf("the field holding %s is not marked has-error: %s>", errID, open)
	}
	names := func(s string) int {
		n := 0
		for _, m := range describedBy.FindAllStringSubmatch(s, -1) {
			if slices.Contains(strings.Fields(m[1]), errID) {
				n++
			}
		}
		return n
	}
	if names(field) == 0 {
		t.Errorf("no control in the field names %s in aria-describedby:\n%s", errID, field)
	}
	if total := names(body); total != names(field) {
		t.Errorf("%d elements outside the field name %s in aria-describedby", total-names(field), errID)
	}
}

// element returns the element of type tag whose start tag begins at
// body[start], up to its matching end tag.
func element(body string, start int, tag string) string {
	depth := 0
	for i := start; i < len(body); i++ {
		switch {
		case strings.HasPrefix(body[i:], "<"+tag+" ") || strings.HasPrefix(body[i:], "<"+tag+">"):
			depth++
		case strings.HasPrefix(body[i:], "</"+tag+">"):
			if depth--; depth == 0 {
				return body[start : i+len(tag)+3]
			}
		}
	}
	return body[start:]
}

// TestKeysPageShowsLastUse: a key never used says so; after one request
// with it, its row says when and from which address.
func TestKeysPageShowsLastUse(t *testing.T) {
	h := newHarness(t)
	u := h.user(gatehouse.RoleAuthor)
	b := h.signIn(u)
	secret, k := h.key(u, "used once", "read")
	lastUsed := func() string {
		t.Helper()
		body := b.get("/keys").mustStatus(t, http.StatusOK).body
		row := regexp.MustCompile(`(?s)<tr id="key-` + k.ID + `">(.*?)</tr>`).FindStringSubmatch(body)
		if row == nil || !strings.Contains(row[1], k.Prefix) {
			t.Fatalf("no row for %s:\n%s", k.Prefix, body)
		}
		cell := regexp.MustCompile(`<td data-label="Last used">(.*?)</td>`).FindStringSubmatch(row[1])
		if cell == nil {
			t.Fatalf("the row has no last-used cell: %s", row[1])
		}
		return cell[1]
	}
	if got := lastUsed(); got != "never" {
		t.Errorf("before any use: %q, want never", got)
	}
	before := time.Now().UTC().Truncate(time.Second)
	h.withKey(http.MethodGet, "/api/me", secret).mustStatus(t, http.StatusOK)
	if err := h.guard.Flush(t.Context()); err != nil { // last uses are written in the background
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^<time datetime="([^"]+)">([^<]+)</time> from (\S+)$`).FindStringSubmatch(lastUsed())
	if m == nil {
		t.Fatalf("after one use: %q, want a time and an address", lastUsed())
	}
	at, err := time.Parse(time.RFC3339, m[1])
	if err != nil || at.Before(before) || at.After(time.Now().Add(time.Second)) {
		t.Errorf("last used at %s (%v), want between %s and now", m[1], err, before)
	}
	if m[2] != at.UTC().Format("2006-01-02 15:04 UTC") || m[3] != "127.0.0.1" {
		t.Errorf("last used shown as %q from %q, want %s from 127.0.0.1", m[2], m[3], at.UTC().Format("2006-01-02 15:04 UTC"))
	}
}
