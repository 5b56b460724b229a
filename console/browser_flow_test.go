package console_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/internal/browsertest"
	"github.com/gatehouse-dev/gatehouse/session"
)

// fakeSecret stands in for the real secret on screenshots.
const fakeSecret = "gatehouse_exampleexamplex_ex4mplesecretnotreal2222222222222222222222222222222222222"

// TestBrowserConsole walks through the console in Chromium as a new user
// would: sign in through the development provider, create a key and copy
// it, see that it is never shown again, use it, roll it, revoke it, look
// at every page (each checked with axe-core, at 1440 and 375 pixels), and
// sign out everywhere. The cookies the browser holds are checked at each
// step against the documented ones.
func TestBrowserConsole(t *testing.T) {
	h := newHarness(t, withSSO)
	b := &tab{t: t, h: h, ctx: browsertest.New(t, browsertest.Options{TrustCert: h.server.Certificate()})}
	if err := browsertest.AllowClipboard(b.ctx, h.url); err != nil {
		t.Fatal(err)
	}

	u := b.signIn()
	b.meInBrowser("author@example.com", "session")
	secret := b.createAndCopyKey()
	if b.clicks >= 5 {
		t.Errorf("from nothing to a copied key took %d clicks, want fewer than 5", b.clicks)
	}
	me := h.withKey(http.MethodGet, "/api/me", secret).mustStatus(t, http.StatusOK)
	if !strings.Contains(me.body, "author@example.com") {
		t.Errorf("/api/me with the key from the page: %s", me.body)
	}
	b.secretNotShownAgain(u, secret)
	k := b.keyByLabel(u, "laptop")
	b.rollKey(k, secret)
	b.revokeKey(k)
	b.withoutJavaScript()
	b.otherPages(u)
	b.wideScreen(u)
	b.narrowScreen()
	b.signOutEverywhere(u)
	b.signIn()
	b.signOut()
}

// meInBrowser opens GET /api/me in the browser: the session cookie alone
// authenticates it, as the signed-in person.
func (b *tab) meInBrowser(want ...string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.h.url + "/api/me"))
	body := b.text()
	for _, w := range want {
		if !strings.Contains(body, w) {
			b.t.Errorf("/api/me in the browser lacks %q: %s", w, body)
		}
	}
	b.open("/")
}

// signOut signs out with the button every page carries: the session ends
// on the server, the cookie is gone, and /api/me is refused.
func (b *tab) signOut() {
	t := b.t
	b.open("/keys")
	b.follow(`form.signout button`)
	if cs := b.cookies(); len(cs) != 0 {
		t.Errorf("after signing out the browser holds %+v", cs)
	}
	b.do(chromedp.Navigate(b.h.url + "/api/me"))
	if body := b.text(); !strings.Contains(body, "401") && !strings.Contains(body, "unauthenticated") {
		t.Errorf("/api/me after signing out: %s", body)
	}
}

// signIn goes from the signed-out home page through the development
// provider, as the demo author.
func (b *tab) signIn() *gatehouse.User {
	t := b.t
	if got := b.open("/"); got != "Sign in to Gatehouse" {
		t.Fatalf("home page says %q", got)
	}
	b.checkA11y("home (signed out)")
	b.shot("home")
	if cs := b.cookies(); len(cs) != 0 {
		t.Errorf("the signed-out home page set cookies: %v", cs)
	}
	b.follow(`a.button[href^="/auth/login?provider=dev"]`)
	if got := b.heading(); got != "Development sign-in" {
		t.Fatalf("the sign-in link led to %q", got)
	}
	b.checkLoginCookie()
	b.follow(`button[value="dev-author"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(`nav a[href="/keys"]`)))
	if got := b.heading(); got != "Welcome, Ada Author" {
		t.Fatalf("after sign-in the page says %q", got)
	}
	b.checkSessionCookie()
	b.checkA11y("home (signed in)")
	users, err := b.h.store.Users(t.Context(), "author@example.com")
	if err != nil || len(users) != 1 || users[0].Role != gatehouse.RoleAuthor {
		t.Fatalf("signed-in user: %v %v", users, err)
	}
	return users[0]
}

// checkLoginCookie checks the one cookie held during a sign-in: the login
// flow's, Lax (it must survive the provider's cross-site redirect back),
// short-lived, host-only.
func (b *tab) checkLoginCookie() {
	cs := b.cookies()
	if len(cs) != 1 || !strings.HasPrefix(cs[0].Name, "__Host-gatehouse-login-") {
		b.t.Fatalf("cookies during sign-in: %+v", cs)
	}
	c := cs[0]
	left := time.Until(time.Unix(int64(c.Expires), 0))
	if !c.Secure || !c.HTTPOnly || c.SameSite != "Lax" || c.Path != "/" || c.Domain != "127.0.0.1" || left > session.LoginLifetime || left < session.LoginLifetime-time.Minute {
		b.t.Errorf("login cookie %+v (expires in %s)", *c, left)
	}
}

// checkSessionCookie checks that the browser holds exactly the documented
// session cookie: __Host-gatehouse; Path=/; Max-Age=43200; HttpOnly;
// Secure; SameSite=Strict, host-only; and nothing in web storage.
func (b *tab) checkSessionCookie() {
	cs := b.cookies()
	if len(cs) != 1 || cs[0].Name != session.CookieName {
		b.t.Fatalf("cookies after sign-in: %+v", cs)
	}
	c := cs[0]
	left := time.Until(time.Unix(int64(c.Expires), 0))
	if !c.Secure || !c.HTTPOnly || c.SameSite != "Strict" || c.Path != "/" || c.Domain != "127.0.0.1" || c.Session ||
		left > session.DefaultAbsoluteTimeout || left < session.DefaultAbsoluteTimeout-time.Minute {
		b.t.Errorf("session cookie %+v (expires in %s)", *c, left)
	}
	if n := run(b, chromedp.Evaluate[int](`localStorage.length + sessionStorage.length`)); n != 0 {
		b.t.Errorf("the pages put %d items in web storage", n)
	}
}

// createAndCopyKey creates a key from the keys page, copies it with the
// copy button, and returns the text the clipboard holds.
func (b *tab) createAndCopyKey() string {
	t := b.t
	b.follow(`nav a[href="/keys"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("label")))
	b.checkA11y("keys (empty)")
	b.do(chromedp.SendKeys(chromedp.ID("label"), "laptop"))
	b.follow(`form[action="/keys"] button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("button.copy")))
	shown := run(b, chromedp.Text(chromedp.ID("secret")))
	if !secretRE.MatchString(shown) {
		t.Fatalf("the page shows %q as the key", shown)
	}
	b.click("button.copy")
	b.waitFor(`document.querySelector(".copy-status").textContent === "Copied."`)
	copied := run(b, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if copied != shown {
		t.Errorf("the clipboard holds %q, the page shows %q", copied, shown)
	}
	b.clicks-- // the copy is the one copy, not a click on the way
	b.checkA11y("new key")
	b.do(chromedp.SetJavascriptAttribute(chromedp.ID("secret"), "textContent", fakeSecret))
	b.shotTop("key-created")
	return copied
}

// secretNotShownAgain leaves the page that showed the secret, goes back to
// it and reloads it: the secret must not appear again, and the reload
// (which sends the form again) must not make a second key.
func (b *tab) secretNotShownAgain(u *gatehouse.User, secret string) {
	t := b.t
	b.follow(`a[href="/keys"].button`)
	b.do(chromedp.WaitVisible(chromedp.ID("label")))
	if strings.Contains(b.html(), secret) {
		t.Fatalf("the keys page shows the secret")
	}
	b.do(chromedp.NavigateBack())
	t.Logf("back from the keys page: %s shows %q", b.location(), b.heading())
	if strings.Contains(b.html(), secret) {
		t.Errorf("going back shows the secret again (%s)", b.location())
	}
	b.do(chromedp.Reload())
	if strings.Contains(b.html(), secret) || len(secretRE.FindAllString(b.html(), -1)) != 0 {
		t.Errorf("reloading shows a key (%s): %s", b.location(), b.text())
	}
	if keys, _ := b.h.keys.List(t.Context(), u.ID); len(keys) != 1 {
		t.Errorf("after back and reload the user has %d keys, want 1", len(keys))
	}
}

func (b *tab) keyByLabel(u *gatehouse.User, label string) *gatehouse.APIKey {
	keys, err := b.h.keys.List(b.t.Context(), u.ID)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, k := range keys {
		if k.Label == label {
			return k
		}
	}
	b.t.Fatalf("no key %q", label)
	return nil
}

// rollKey rolls k from its row with an hour's grace: the new secret is
// shown once and works, and so does the old one, for now.
func (b *tab) rollKey(k *gatehouse.APIKey, old string) {
	t := b.t
	b.open("/keys")
	b.follow(`a[href="/keys/` + k.ID + `/roll"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("grace-1h")))
	b.checkA11y("roll confirmation")
	b.click("#grace-1h")
	b.follow(`form.confirm button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.ID("secret")))
	rolled := run(b, chromedp.Text(chromedp.ID("secret")))
	if !secretRE.MatchString(rolled) || rolled == old {
		t.Fatalf("the roll page shows %q", rolled)
	}
	if !strings.Contains(b.text(), "The old secret keeps working until") {
		t.Errorf("the roll page does not give the grace period")
	}
	b.checkA11y("rolled key")
	b.h.withKey(http.MethodGet, "/api/me", rolled).mustStatus(t, http.StatusOK)
	b.h.withKey(http.MethodGet, "/api/me", old).mustStatus(t, http.StatusOK)
	b.do(chromedp.Reload())
	if strings.Contains(b.html(), rolled) {
		t.Errorf("reloading the roll page shows the secret again")
	}
	b.h.withKey(http.MethodGet, "/api/me", rolled).mustStatus(t, http.StatusOK) // not rolled twice
}

// revokeKey revokes k from its row, through the confirmation.
func (b *tab) revokeKey(k *gatehouse.APIKey) {
	t := b.t
	b.open("/keys")
	b.follow(`a[href="/keys/` + k.ID + `/revoke"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS(`form.confirm button.danger`)))
	b.checkA11y("revoke confirmation")
	b.follow(`form.confirm button.danger`)
	b.do(chromedp.WaitVisible(chromedp.CSS(`p.notice`)))
	if !strings.Contains(b.text(), "was revoked") {
		t.Errorf("no confirmation of the revocation: %s", b.text())
	}
	if got, _ := b.h.store.Key(t.Context(), k.ID); got == nil || got.Revoked.IsZero() {
		t.Errorf("the key is not revoked")
	}
}

// withoutJavaScript creates a key with scripts off: everything works, the
// secret is shown, and the copy button, which needs a script, is not.
func (b *tab) withoutJavaScript() {
	t := b.t
	if err := browsertest.DisableScript(b.ctx, true); err != nil {
		t.Fatal(err)
	}
	defer browsertest.DisableScript(b.ctx, false)
	b.do(chromedp.Navigate(b.h.url+"/keys"), chromedp.WaitVisible(chromedp.ID("label")))
	b.do(chromedp.SendKeys(chromedp.ID("label"), "no script"), chromedp.Click(chromedp.ID("expires-90d")),
		chromedp.Click(chromedp.CSS(`form[action="/keys"] button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("secret")))
	html := run(b, chromedp.OuterHTML(chromedp.CSS("html")))
	if len(secretRE.FindAllString(html, -1)) != 1 {
		t.Errorf("without JavaScript the new key is not shown")
	}
	b.do(chromedp.WaitNotVisible(chromedp.CSS("button.copy")))
}

// otherPages visits the key's page, posts, an edit, audit and sessions.
func (b *tab) otherPages(u *gatehouse.User) {
	t := b.t
	h := b.h
	k := b.keyByLabel(u, "no script")
	b.open("/keys/" + k.ID)
	b.checkA11y("key")
	b.shotTop("key")
	b.open("/keys")
	b.checkA11y("keys")
	b.shot("keys")

	editor := &gatehouse.User{Issuer: "https://idp.test", Subject: "erin", Kind: gatehouse.KindPerson, Email: "editor@example.com", Name: "Erin Editor", Role: gatehouse.RoleEditor}
	if err := h.store.CreateUser(t.Context(), editor); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*blog.Post{
		{AuthorID: editor.ID, Status: blog.Published, Title: "Welcome to the blog", Body: "Anyone can read this post. Only editors may change it."},
		{AuthorID: u.ID, Status: blog.Published, Title: "Hello from Ada", Body: "My first post. I may edit it; so may the editors."},
		{AuthorID: u.ID, Status: blog.Draft, Title: "Notes for next week", Body: "A draft: only Ada and the editors see it."},
	} {
		if err := h.store.CreatePost(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	b.follow(`nav a[href="/posts"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("article.post")))
	if n := run(b, chromedp.Evaluate[int](`document.querySelectorAll('a[href$="/edit"]').length`)); n != 2 {
		t.Errorf("the author sees %d edit links, want 2 (her posts)", n)
	}
	b.checkA11y("posts")
	b.shot("posts")
	b.follow(`a[href$="/edit"]`)
	b.do(chromedp.WaitVisible(chromedp.ID("title")))
	b.checkA11y("edit post")
	b.do(chromedp.Clear(chromedp.ID("title")), chromedp.SendKeys(chromedp.ID("title"), "Notes for the week after"))
	b.follow(`main form[action^="/posts/"] button[type=submit]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("p.notice")))
	if !strings.Contains(b.text(), "Notes for the week after") {
		t.Errorf("the edit was not saved")
	}

	b.follow(`nav a[href="/audit"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("table.audit")))
	for _, want := range []string{"Signed in", "Key created", "Key rolled", "Key revoked"} {
		if !strings.Contains(b.text(), want) {
			t.Errorf("the audit page lacks %q", want)
		}
	}
	b.checkA11y("audit")
	b.shot("audit")

	h.startSession(u, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")
	b.follow(`nav a[href="/sessions"]`)
	b.do(chromedp.WaitVisible(chromedp.CSS("table.sessions")))
	if !strings.Contains(b.text(), "Safari on iPhone") || !strings.Contains(b.text(), "this browser") {
		t.Errorf("the sessions page: %s", b.text())
	}
	b.checkA11y("sessions")
	b.shot("sessions")
}

// wideScreen checks every page at 1440 pixels, once each holds what the
// walk through made (keys, posts, audit events): nothing is wider than
// the screen, so the page never scrolls sideways.
func (b *tab) wideScreen(u *gatehouse.User) {
	t := b.t
	b.do(chromedp.EmulateViewport(1440, 900))
	paths := []string{"/", "/keys", "/keys/" + b.keyByLabel(u, "laptop").ID, "/sessions", "/posts", "/audit"}
	posts, err := b.h.store.Posts(t.Context(), blog.Filter{AuthorID: u.ID, Limit: 1})
	if err != nil || len(posts) == 0 {
		t.Fatalf("no post of the author to edit: %v", err)
	}
	paths = append(paths, fmt.Sprintf("/posts/%d/edit", posts[0].ID))
	for _, path := range paths {
		b.open(path)
		if w := run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 1440 {
			t.Errorf("%s is %dpx wide at 1440px", path, w)
		}
	}
}

// narrowScreen checks the pages at 375 pixels: nothing wider than the
// screen, and still no accessibility violation.
func (b *tab) narrowScreen() {
	t := b.t
	b.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	defer b.do(chromedp.EmulateViewport(1440, 900))
	for _, path := range []string{"/", "/keys", "/sessions", "/posts", "/audit"} {
		b.open(path)
		if w := run(b, chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w > 375 {
			t.Errorf("%s is %dpx wide at 375px", path, w)
		}
		b.checkA11y(path + " at 375px")
	}
	b.open("/keys")
	b.shot("keys-375")
}

// signOutEverywhere ends every session from the sessions page: the
// browser is signed out and holds no cookie, and the other session is
// refused.
func (b *tab) signOutEverywhere(u *gatehouse.User) {
	t := b.t
	phone := &browser{h: b.h, ua: "phone"}
	phone.cookie = b.h.startSession(u, phone.ua)
	phone.get("/keys").mustStatus(t, http.StatusOK)
	b.open("/sessions")
	b.follow(`form[action="/sessions/end-all"] button`)
	if got := b.heading(); got != "Sign in to Gatehouse" {
		t.Errorf("after signing out everywhere the page says %q", got)
	}
	if cs := b.cookies(); len(cs) != 0 {
		t.Errorf("after signing out everywhere the browser holds %+v", cs)
	}
	if r := phone.get("/keys"); r.status == http.StatusOK {
		t.Errorf("another session still works after signing out everywhere")
	}
	if s, _ := b.h.sessions.List(t.Context(), u.ID); len(s) != 0 {
		t.Errorf("%d sessions left", len(s))
	}
}
