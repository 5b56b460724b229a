package sso_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// TestLoginLogout signs in through the in-process provider over HTTPS with
// real signatures, uses the session, logs out, and uses it again.
func TestLoginLogout(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a := newApp(t, open(t), nil, nil)
		b := a.browser()
		if status, _ := a.me(t, b); status != http.StatusUnauthorized {
			t.Fatalf("before login: /api/me = %d", status)
		}
		landing := a.login(t, b, "dev-editor")
		if !strings.Contains(landing.body, `url='/posts'`) || !strings.Contains(landing.body, `href="/posts"`) {
			t.Fatalf("landing page does not lead to return_to:\n%s", landing.body)
		}
		status, v := a.me(t, b)
		if status != http.StatusOK || v.Email != "editor@example.com" || v.Role != "editor" || v.Method != "session" {
			t.Fatalf("/api/me = %d %+v", status, v)
		}
		stolen := b.Jar.Cookies(mustURL(a.srv.URL))
		a.logoutThroughProvider(t, b)
		if status, _ := a.me(t, b); status != http.StatusUnauthorized {
			t.Fatalf("after logout: /api/me = %d", status)
		}
		// The old cookie, replayed by someone who kept it, is dead too.
		replay := a.browser()
		replay.Jar.SetCookies(mustURL(a.srv.URL), stolen)
		if status, _ := a.me(t, replay); status != http.StatusUnauthorized {
			t.Fatalf("session used after logout: /api/me = %d", status)
		}
	})
}

// TestLogoutOnFreshInstance signs in through one instance and logs out
// through another over the same store that has not discovered the
// provider yet (a restart, or a second replica): logout still hops to the
// provider's end_session_endpoint. With the provider unreachable, the
// session still ends here, and the browser lands on the signed-out page.
func TestLogoutOnFreshInstance(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a := newApp(t, open(t), nil, nil)
		b := a.browser()
		a.login(t, b, "dev-reader")
		a.restart()
		a.logoutThroughProvider(t, b)
		if status, _ := a.me(t, b); status != http.StatusUnauthorized {
			t.Fatalf("after logout on a fresh instance: /api/me = %d", status)
		}

		a.login(t, b, "dev-reader")
		a.cfg.Providers[0].Issuer = "https://127.0.0.1:1/nothing-here" // unreachable
		a.restart()
		status, loc := a.logout(t, b)
		if status != http.StatusSeeOther || loc != a.srv.URL+"/auth/signed-out" {
			t.Fatalf("logout with the provider down: %d Location %q, want 303 to the signed-out page", status, loc)
		}
		if status, _ := a.me(t, b); status != http.StatusUnauthorized {
			t.Fatalf("after logout with the provider down: /api/me = %d", status)
		}
	})
}

// logout posts /auth/logout without following the redirect and returns
// the status and Location.
func (a *app) logout(t testing.TB, b *browser) (int, string) {
	t.Helper()
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	defer func() { b.CheckRedirect = nil }()
	resp, err := b.PostForm(a.srv.URL+"/auth/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// logoutThroughProvider logs out and checks that the browser is sent to
// the dev provider's end_session_endpoint (RP-initiated logout), with the
// client id and the way back, and comes back to the signed-out page.
func (a *app) logoutThroughProvider(t testing.TB, b *browser) {
	t.Helper()
	status, loc := a.logout(t, b)
	end, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	want := a.endSessionEndpoint(t)
	if status != http.StatusSeeOther || want == "" || end.Scheme+"://"+end.Host+end.Path != want {
		t.Fatalf("logout: %d Location %q, want 303 to the end_session_endpoint %q", status, loc, want)
	}
	if q := end.Query(); q.Get("client_id") != "gatehouse" || q.Get("post_logout_redirect_uri") != a.srv.URL+"/auth/signed-out" {
		t.Fatalf("end session request %q lacks the client id or the way back", loc)
	}
	if p := b.get(t, loc); p.status != http.StatusOK || p.url.String() != a.srv.URL+"/auth/signed-out" {
		t.Fatalf("the provider's logout ended on %d %s", p.status, p.url)
	}
}

// endSessionEndpoint returns the dev provider's end_session_endpoint, as
// its discovery document says.
func (a *app) endSessionEndpoint(t testing.TB) string {
	t.Helper()
	resp, err := a.srv.Client().Get(a.dev.Issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d.EndSession
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestRoleFromClaimAndReturnTo checks the role mapping of the groups claim
// and that the person lands on return_to.
func TestRoleFromClaim(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a := newApp(t, open(t), nil, nil)
		for subject, role := range map[string]string{"dev-author": "author", "dev-editor": "editor", "dev-reader": "reader"} {
			b := a.browser()
			a.login(t, b, subject)
			if _, v := a.me(t, b); v.Role != role {
				t.Errorf("%s: role %q, want %q", subject, v.Role, role)
			}
		}
	})
}

// TestTwoTabs starts two sign-ins in one browser before finishing either:
// each flow has its own state and login cookie, so both succeed (another
// proxy's single login cookie made the first tab fail).
func TestTwoTabs(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a := newApp(t, open(t), nil, nil)
		b := a.browser()
		tab1 := a.startLogin(t, b, "/one")
		tab2 := a.startLogin(t, b, "/two")
		for _, tc := range []struct{ id, want string }{{tab2, "/two"}, {tab1, "/one"}} {
			p := a.pick(t, b, tc.id, "dev-reader")
			if p.status != http.StatusOK || !strings.Contains(p.body, `href="`+tc.want+`"`) {
				t.Fatalf("tab for %s: %d %s\n%s", tc.want, p.status, p.url, p.body)
			}
		}
		if status, _ := a.me(t, b); status != http.StatusOK {
			t.Fatalf("/api/me after two tabs = %d", status)
		}
	})
}

// TestOpenRedirectReturnTo is named after the open-redirect advisories:
// whatever return_to a link carries, the landing page leads to a local
// path.
func TestOpenRedirectReturnTo(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a := newApp(t, open(t), nil, nil)
		for _, evil := range []string{"//evil.com", "https://evil.com", "/\\evil.com", "/%09/evil.com", "https:evil.com"} {
			b := a.browser()
			p := a.pick(t, b, a.startLogin(t, b, evil), "dev-reader")
			if !strings.Contains(p.body, `url='/'`) || strings.Contains(p.body, "evil") {
				t.Errorf("return_to %q: landing page\n%s", evil, p.body)
			}
		}
	})
}

// TestWrongAndReplayedState sends callbacks whose state is unknown, or was
// already used: both fail on the error page, start no session, and are
// audited.
func TestWrongAndReplayedState(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a := newApp(t, open(t), nil, nil)
		b := a.browser()
		var callback string
		b.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
			if r.URL.Path == "/auth/callback" {
				callback = r.URL.String()
				return http.ErrUseLastResponse
			}
			return nil
		}
		a.pick(t, b, a.startLogin(t, b, "/"), "dev-reader")
		if callback == "" {
			t.Fatal("no redirect to the callback")
		}
		b.CheckRedirect = nil
		if p := b.get(t, callback); p.status != http.StatusOK {
			t.Fatalf("first callback: %d\n%s", p.status, p.body)
		}
		attacker := a.browser()
		for name, u := range map[string]string{
			"replayed state":           callback,
			"wrong state":              a.srv.URL + "/auth/callback?state=forged&code=x",
			"state from other browser": callback,
		} {
			c := b
			if name == "state from other browser" {
				c = attacker
			}
			p := c.get(t, u)
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Sign-in failed") {
				t.Errorf("%s: %d\n%s", name, p.status, p.body)
			}
		}
		if status, _ := a.me(t, attacker); status != http.StatusUnauthorized {
			t.Errorf("attacker has a session")
		}
		if got := a.failures(t); len(got) != 3 || slices.ContainsFunc(got, func(r string) bool { return r != "state" }) {
			t.Errorf("audited failures %q, want three state failures", got)
		}
		evs, err := a.store.AuditEvents(t.Context(), gatehouse.AuditFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Action == gatehouse.ActionLoginFail && e.Detail != "" {
				t.Errorf("a state failure, whose provider is unknown, has the detail %q", e.Detail)
			}
		}
	})
}

// TestCodeInjectionRefusedByPKCE pastes the code of one flow into the
// callback of another flow of the same browser: the exchange is made with
// the other flow's PKCE verifier, and the provider refuses it.
func TestCodeInjectionRefusedByPKCE(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a := newApp(t, open(t), nil, nil)
		b := a.browser()
		var callbacks []*url.URL
		b.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
			if r.URL.Path == "/auth/callback" {
				callbacks = append(callbacks, r.URL)
				return http.ErrUseLastResponse
			}
			return nil
		}
		a.pick(t, b, a.startLogin(t, b, "/"), "dev-reader")
		a.pick(t, b, a.startLogin(t, b, "/"), "dev-editor")
		if len(callbacks) != 2 {
			t.Fatalf("callbacks: %v", callbacks)
		}
		b.CheckRedirect = nil
		q := callbacks[0].Query()
		q.Set("code", callbacks[1].Query().Get("code")) // the editor's code, the reader's flow
		p := b.get(t, a.srv.URL+"/auth/callback?"+q.Encode())
		if p.status != http.StatusBadRequest {
			t.Fatalf("injected code: %d\n%s", p.status, p.body)
		}
		if got := a.failures(t); !slices.Equal(got, []string{"exchange"}) {
			t.Fatalf("audited %q, want exchange", got)
		}
	})
}

// TestBackchannelLogout ends a session from the provider's side.
func TestBackchannelLogout(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a := newApp(t, open(t), nil, nil)
		author, reader := a.browser(), a.browser()
		a.login(t, author, "dev-author")
		a.login(t, reader, "dev-reader")
		if err := a.dev.Logout(t.Context(), "dev-author"); err != nil {
			t.Fatal(err)
		}
		if status, _ := a.me(t, author); status != http.StatusUnauthorized {
			t.Errorf("author after back-channel logout: %d", status)
		}
		if status, _ := a.me(t, reader); status != http.StatusOK {
			t.Errorf("reader after the author's back-channel logout: %d", status)
		}
	})
}

// TestCookies records the cookies set at each step of the flow and checks
// their attributes: the login cookie is Lax and short-lived, the session
// cookie Strict, both __Host- (Secure, Path=/, no Domain) and HttpOnly.
func TestCookies(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		a := newApp(t, open(t), nil, nil)
		b := a.browser()
		id := a.startLogin(t, b, "/api/me")
		steps := map[string][]string{"login": b.cookies()}
		a.pick(t, b, id, "dev-reader")
		steps["callback"] = b.cookies()
		// The first page after login, where the landing page leads: the
		// session cookie is sent, and nothing is set.
		if p := b.get(t, a.srv.URL+"/api/me"); p.status != http.StatusOK {
			t.Fatalf("first page after login: %d", p.status)
		}
		if steps["first page"] = b.cookies(); len(steps["first page"]) != 0 {
			t.Errorf("the first page after login set cookies: %q", steps["first page"])
		}
		b.post(t, a.srv.URL+"/auth/logout", nil)
		steps["logout"] = b.cookies()
		for _, step := range []string{"login", "callback", "first page", "logout"} {
			if len(steps[step]) == 0 {
				t.Logf("%-10s (no Set-Cookie)", step)
			}
			for _, c := range steps[step] {
				t.Logf("%-10s %s", step, c)
			}
		}
		login := find(steps["login"], "/auth/login", "__Host-gatehouse-login-")
		sess := find(steps["callback"], "/auth/callback", session.CookieName+"=")
		cleared := find(steps["logout"], "/auth/logout", session.CookieName+"=")
		for name, c := range map[string]string{"login": login, "session": sess, "cleared": cleared} {
			for _, attr := range []string{"Path=/", "HttpOnly", "Secure"} {
				if !strings.Contains(c, attr) {
					t.Errorf("%s cookie %q lacks %s", name, c, attr)
				}
			}
			if strings.Contains(strings.ToLower(c), "domain=") {
				t.Errorf("%s cookie %q has a Domain", name, c)
			}
		}
		if !strings.Contains(login, "SameSite=Lax") || !strings.Contains(sess, "SameSite=Strict") {
			t.Errorf("SameSite: login %q, session %q", login, sess)
		}
		// The login cookie lives as long as a sign-in may take, no longer.
		if age := cookieMaxAge(login); age <= 0 || age > int(sso.LoginLifetime/time.Second) {
			t.Errorf("login cookie %q: want 0 < Max-Age <= %d", login, int(sso.LoginLifetime/time.Second))
		}
		if !strings.Contains(cleared, "Max-Age=0") && !strings.Contains(cleared, "Expires=Thu, 01 Jan 1970") {
			t.Errorf("logout does not clear the session cookie: %q", cleared)
		}
		if !slices.ContainsFunc(steps["callback"], func(c string) bool {
			return strings.Contains(c, "/auth/callback: __Host-gatehouse-login-") && strings.Contains(c, "Max-Age=0")
		}) {
			t.Errorf("the callback does not clear the login cookie: %q", steps["callback"])
		}
	})
}

var maxAge = regexp.MustCompile(`; Max-Age=(\d+)`)

// cookieMaxAge returns a recorded Set-Cookie's Max-Age, or -1.
func cookieMaxAge(c string) int {
	m := maxAge.FindStringSubmatch(c)
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return -1
	}
	return n
}

// find returns the first recorded Set-Cookie for path whose value starts
// with prefix.
func find(log []string, path, prefix string) string {
	for _, l := range log {
		if strings.HasPrefix(l, "GET "+path+": "+prefix) || strings.HasPrefix(l, "POST "+path+": "+prefix) {
			return l
		}
	}
	return "(none for " + path + " " + prefix + ")"
}

// TestInvitationAccepted: a person the operator invited by email becomes,
// at first sign-in, that same user: same id (so the keys made for them
// keep working), and the invitation is gone.
func TestInvitationAccepted(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		st := open(t)
		inv := &gatehouse.User{Issuer: gatehouse.IssuerInvited, Subject: "author@example.com", Kind: gatehouse.KindPerson,
			Email: "author@example.com", Role: gatehouse.RoleAuthor}
		if err := st.CreateUser(t.Context(), inv); err != nil {
			t.Fatal(err)
		}
		a := newApp(t, st, nil, nil)
		b := a.browser()
		a.login(t, b, "dev-author")
		if status, v := a.me(t, b); status != http.StatusOK || v.UserID != inv.ID || v.Role != "author" {
			t.Fatalf("/api/me = %d %+v, want the invited user %d", status, v, inv.ID)
		}
		if _, err := st.UserByIdentity(t.Context(), gatehouse.IssuerInvited, "author@example.com"); gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
			t.Errorf("the invitation is still there: %v", err)
		}
	})
}

// TestDisabledInvitationRefused: disabling an invited person before they
// sign in keeps them out; it does not give them a fresh account.
func TestDisabledInvitationRefused(t *testing.T) {
	st := sqliteStore(t)
	inv := &gatehouse.User{Issuer: gatehouse.IssuerInvited, Subject: "author@example.com", Kind: gatehouse.KindPerson,
		Email: "author@example.com", Role: gatehouse.RoleAuthor, Disabled: true}
	if err := st.CreateUser(t.Context(), inv); err != nil {
		t.Fatal(err)
	}
	a := newApp(t, st, nil, nil)
	b := a.browser()
	p := a.pick(t, b, a.startLogin(t, b, "/"), "dev-author")
	if strings.Contains(p.body, "Signed in") {
		t.Fatal("a disabled invitation signed in")
	}
	if status, _ := a.me(t, b); status != http.StatusUnauthorized {
		t.Errorf("/api/me = %d, want 401", status)
	}
	users, _ := st.Users(t.Context(), "author@example.com")
	if len(users) != 1 {
		t.Errorf("%d users with the email, want only the disabled invitation", len(users))
	}
}

// TestMissingPKCEVerifier: a token request that reaches the provider
// without the code_verifier is refused by the provider, and the sign-in
// fails (400, audited as exchange, no session); a flow whose verifier is
// too short (42 characters) is refused before the code is sent to the
// provider at all.
func TestMissingPKCEVerifier(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		var strip atomic.Bool
		var exchanges atomic.Int64
		a := newApp(t, open(t), nil, func(c *sso.Config) {
			base := c.HTTPClient.Transport
			c.HTTPClient = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
				if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/token") {
					return base.RoundTrip(r)
				}
				exchanges.Add(1)
				body, err := io.ReadAll(r.Body)
				if err != nil {
					return nil, err
				}
				form, err := url.ParseQuery(string(body))
				if err != nil {
					return nil, err
				}
				if strip.Load() {
					form.Del("code_verifier")
				}
				r = r.Clone(r.Context())
				enc := form.Encode()
				r.Body, r.ContentLength = io.NopCloser(strings.NewReader(enc)), int64(len(enc))
				return base.RoundTrip(r)
			})}
		})

		strip.Store(true)
		b := a.browser()
		p := a.pick(t, b, a.startLogin(t, b, "/"), "dev-reader")
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Sign-in failed") {
			t.Errorf("token request without code_verifier: %d\n%s", p.status, p.body)
		}
		sent := exchanges.Load()
		if got := a.failures(t); !slices.Equal(got, []string{"exchange"}) || sent == 0 {
			t.Errorf("audited %q after %d token requests, want exchange", got, sent)
		}
		if status, _ := a.me(t, b); status != http.StatusUnauthorized {
			t.Errorf("a session was started without the PKCE verifier: /api/me = %d", status)
		}

		strip.Store(false)
		b = a.browser()
		var state string
		b.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
			if s := r.URL.Query().Get("state"); s != "" && state == "" {
				state = s
			}
			return nil
		}
		id := a.startLogin(t, b, "/")
		b.CheckRedirect = nil
		f, err := a.store.TakeLogin(t.Context(), state)
		if err != nil {
			t.Fatalf("the flow of state %q: %v", state, err)
		}
		f.Verifier = strings.Repeat("a", 42) // one short of the shortest RFC 7636 allows
		if err := a.store.PutLogin(t.Context(), f); err != nil {
			t.Fatal(err)
		}
		p = a.pick(t, b, id, "dev-reader")
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Sign-in failed") {
			t.Errorf("flow with a 42-character verifier: %d\n%s", p.status, p.body)
		}
		if got, n := a.failures(t), exchanges.Load(); !slices.Equal(got, []string{"exchange", "pkce"}) || n != sent {
			t.Errorf("audited %q after %d more token requests, want pkce and none", got, n-sent)
		}
		if status, _ := a.me(t, b); status != http.StatusUnauthorized {
			t.Errorf("a session was started with a 42-character verifier: /api/me = %d", status)
		}
	})
}

// TestSessionExpiry signs in through the provider and moves the clock: a
// session left unused for the idle timeout (an hour) ends, and one used
// every half hour still ends at the absolute lifetime (twelve hours).
func TestSessionExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		t.Run("idle", func(t *testing.T) {
			a := newApp(t, open(t), nil, nil)
			b := a.browser()
			a.login(t, b, "dev-reader")
			a.clock.Add(time.Hour - time.Minute)
			if status, _ := a.me(t, b); status != http.StatusOK {
				t.Fatalf("used after 59 minutes: %d", status)
			}
			a.clock.Add(time.Hour)
			if status, _ := a.me(t, b); status != http.StatusUnauthorized {
				t.Fatalf("used after an hour idle: %d, want 401", status)
			}
		})
		t.Run("absolute", func(t *testing.T) {
			a := newApp(t, open(t), nil, nil)
			b := a.browser()
			a.login(t, b, "dev-reader")
			for elapsed := 30 * time.Minute; elapsed < 12*time.Hour; elapsed += 30 * time.Minute {
				a.clock.Add(30 * time.Minute)
				if status, _ := a.me(t, b); status != http.StatusOK {
					t.Fatalf("used every half hour, at %v: %d", elapsed, status)
				}
			}
			a.clock.Add(30 * time.Minute)
			if status, _ := a.me(t, b); status != http.StatusUnauthorized {
				t.Fatalf("used every half hour, at 12h: %d, want 401", status)
			}
		})
	})
}
