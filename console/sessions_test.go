package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func sessionIDs(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`action="/sessions/([^/"]+)/end"`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestSessionsPage(t *testing.T) {
	h := newHarness(t)
	u, other := h.user(gatehouse.RoleAuthor), h.user(gatehouse.RoleAuthor)
	laptop := h.signIn(u)
	phone := &browser{h: h, ua: "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"}
	phone.cookie = h.startSession(u, phone.ua)
	stranger := h.signIn(other)

	r := laptop.get("/sessions").mustStatus(t, http.StatusOK)
	checkPage(t, r)
	for _, want := range []string{"Chrome on Linux", "Safari on iPhone", "this browser", "127.0.0.1", `action="/sessions/end-all"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("sessions page lacks %q", want)
		}
	}
	ids := sessionIDs(r.body)
	if len(ids) != 2 {
		t.Fatalf("%d sessions listed, want 2", len(ids))
	}
	strangers := sessionIDs(stranger.get("/sessions").body)

	t.Run("another user's session is not found", func(t *testing.T) {
		laptop.post("/sessions/"+strangers[0]+"/end", url.Values{}).mustStatus(t, http.StatusNotFound)
		stranger.get("/keys").mustStatus(t, http.StatusOK)
	})
	t.Run("sign out the phone", func(t *testing.T) {
		phoneID := ids[0]
		if strings.Contains(r.body, `action="/sessions/`+phoneID+`/end"><button type="submit" class="link">Sign out<span class="visually-hidden"> Chrome`) {
			phoneID = ids[1]
		}
		res := laptop.post("/sessions/"+phoneID+"/end", url.Values{}).mustStatus(t, http.StatusSeeOther)
		if loc := res.header.Get("Location"); loc != "/sessions?ended=1" {
			t.Errorf("Location %q", loc)
		}
		if phone.get("/keys").status == http.StatusOK {
			t.Errorf("the phone's session still works")
		}
		laptop.get("/keys").mustStatus(t, http.StatusOK)
	})
	t.Run("sign out everywhere", func(t *testing.T) {
		tablet := h.signIn(u)
		res := laptop.post("/sessions/end-all", url.Values{}).mustStatus(t, http.StatusSeeOther)
		if loc := res.header.Get("Location"); loc != "/" {
			t.Errorf("Location %q", loc)
		}
		cleared := false
		for _, c := range res.cookies {
			cleared = cleared || (c.Name == "__Host-gatehouse" && c.MaxAge < 0)
		}
		if !cleared {
			t.Errorf("the cookie was not cleared: %v", res.header["Set-Cookie"])
		}
		for name, b := range map[string]*browser{"laptop": laptop, "tablet": tablet} {
			if b.get("/keys").status == http.StatusOK {
				t.Errorf("the %s's session still works", name)
			}
		}
		stranger.get("/keys").mustStatus(t, http.StatusOK)
	})
}

func TestSignOutThisSession(t *testing.T) {
	h := newHarness(t)
	b := h.signIn(h.user(gatehouse.RoleReader))
	id := sessionIDs(b.get("/sessions").body)[0]
	res := b.post("/sessions/"+id+"/end", url.Values{}).mustStatus(t, http.StatusSeeOther)
	if loc := res.header.Get("Location"); loc != "/" {
		t.Errorf("Location %q", loc)
	}
	if b.get("/keys").status == http.StatusOK {
		t.Errorf("the session still works")
	}
}

// TestSessionDevices checks the device names the sessions page derives
// from User-Agent headers.
func TestSessionDevices(t *testing.T) {
	h := newHarness(t)
	u := h.user(gatehouse.RoleReader)
	tests := []struct{ ua, want string }{
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0", "Firefox on Windows"},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 Edg/140.0.0.0", "Edge on Windows"},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15", "Safari on macOS"},
		{"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36", "Chrome on Android"},
		{"curl/8.5.0", "curl on an unknown system"},
		{"", "Unknown device"},
	}
	var b *browser
	for _, tt := range tests {
		b = &browser{h: h, ua: tt.ua}
		b.cookie = h.startSession(u, tt.ua)
	}
	body := b.get("/sessions").mustStatus(t, http.StatusOK).body
	for _, tt := range tests {
		if !strings.Contains(body, ">"+tt.want) {
			t.Errorf("the page does not name %q as %q", tt.ua, tt.want)
		}
	}
}

// TestSessionsPageShowsTimes: each session's row says when it started and
// when it was last active, as a machine-readable time and in words.
func TestSessionsPageShowsTimes(t *testing.T) {
	h := newHarness(t)
	u := h.user(gatehouse.RoleReader)
	before := time.Now().UTC().Truncate(time.Second)
	b := h.signIn(u)
	body := b.get("/sessions").mustStatus(t, http.StatusOK).body
	after := time.Now().UTC()
	rows := regexp.MustCompile(`(?s)<tbody>.*?</tbody>`).FindString(body)
	for _, label := range []string{"Started", "Last active"} {
		m := regexp.MustCompile(`<td data-label="`+label+`"><time datetime="([^"]+)">([^<]+)</time></td>`).FindAllStringSubmatch(rows, -1)
		if len(m) != 1 {
			t.Fatalf("%d %q cells, want 1:\n%s", len(m), label, rows)
		}
		at, err := time.Parse(time.RFC3339, m[0][1])
		if err != nil || at.Before(before) || at.After(after) {
			t.Errorf("%s at %s (%v), want between %s and %s", label, m[0][1], err, before, after)
		}
		if want := at.Format("2006-01-02 15:04 UTC"); m[0][2] != want {
			t.Errorf("%s shown as %q, want %q", label, m[0][2], want)
		}
	}
}
