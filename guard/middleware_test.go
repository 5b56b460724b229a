package guard_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/guard"
)

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestHeaderFormsAuthenticate(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(gatehouse.RoleAuthor)
	key := e.key(u, nil, gatehouse.ScopeRead, gatehouse.ScopeWrite, gatehouse.ScopeAdmin)
	id := key[10:26]
	h := e.handler(gatehouse.ScopeRead)
	// admin is dropped: an author's role does not allow it.
	want := "user=1 key=" + id + " method=apikey scopes=read write"
	for _, auth := range []string{
		"apikey " + key, "Bearer " + key, basic("apikey", key),
		"APIKEY " + key, "bearer " + key, "BEARER\t" + key, strings.Replace(basic("apikey", key), "Basic", "basic", 1),
		"  Bearer   " + key + " ",
	} {
		w := send(h, "192.0.2.1", "/", auth)
		if w.Code != http.StatusOK || w.Body.String() != want {
			t.Errorf("%.12s...: %d %q, want 200 %q", auth, w.Code, w.Body, want)
		}
	}
}

func TestMoreThanOneCredentialAndMalformedRequestsAre400(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	tests := []struct {
		name   string
		target string
		auth   []string
	}{
		{"two Authorization headers", "/", []string{"Bearer " + key, "Bearer " + key}},
		{"key in the query string", "/?api_key=" + key, nil},
		{"key in the query string besides the header", "/?q=" + key, []string{"Bearer " + key}},
		{"Basic with another user", "/", []string{basic("admin", key)}},
		{"Basic not base64", "/", []string{"Basic %%%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := send(h, "192.0.2.1", tt.target, tt.auth...)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
			}
			if d := details(t, w); d.Error != "invalid_request" || strings.Contains(w.Body.String(), key[27:]) {
				t.Fatalf("body %s", w.Body)
			}
		})
	}
	if n := len(e.rejections()); n != 0 {
		t.Errorf("%d key.reject events for requests refused before any lookup", n)
	}
}

func TestUnsupportedSchemeIs401WithChallenge(t *testing.T) {
	e := newEnv(t, nil)
	w := send(e.handler(gatehouse.ScopeRead), "192.0.2.1", "/", `Digest username="apikey"`)
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != guard.ChallengeAll {
		t.Fatalf("%d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestAnonymousPassesAuthenticate(t *testing.T) {
	e := newEnv(t, nil)
	w := send(e.g.Authenticate(echo), "192.0.2.1", "/")
	if w.Code != http.StatusOK || w.Body.String() != "anonymous" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
}

func TestRequire(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(e.user(gatehouse.RoleReader), nil, gatehouse.ScopeRead, gatehouse.ScopeWrite)
	tests := []struct {
		name      string
		h         http.Handler
		auth      []string
		status    int
		challenge string
		errorCode string
		scope     string
	}{
		{"anonymous, scope", e.handler(gatehouse.ScopeRead), nil, 401, guard.ChallengeAll, "", ""},
		{"anonymous, any", e.handler(""), nil, 401, guard.ChallengeAll, "", ""},
		{"has scope", e.handler(gatehouse.ScopeRead), []string{"Bearer " + key}, 200, "", "", ""},
		{"any scope", e.handler(""), []string{"Bearer " + key}, 200, "", "", ""},
		{"role removes write", e.handler(gatehouse.ScopeWrite), []string{"Bearer " + key}, 403,
			`Bearer realm="gatehouse", error="insufficient_scope", scope="write"`, "insufficient_scope", "write"},
		{"key lacks keys", e.handler(gatehouse.ScopeKeys), []string{"Bearer " + key}, 403,
			`Bearer realm="gatehouse", error="insufficient_scope", scope="keys"`, "insufficient_scope", "keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := send(tt.h, "192.0.2.1", "/", tt.auth...)
			if w.Code != tt.status || w.Header().Get("WWW-Authenticate") != tt.challenge {
				t.Fatalf("%d %q, want %d %q", w.Code, w.Header().Get("WWW-Authenticate"), tt.status, tt.challenge)
			}
			if tt.status == 200 {
				return
			}
			if d := details(t, w); d.Error != tt.errorCode || d.Scope != tt.scope {
				t.Fatalf("problem %+v", d)
			}
		})
	}
}

func TestKeyExpiresHeader(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(gatehouse.RoleAuthor)
	expires := time.Date(2031, 6, 7, 8, 9, 10, 0, time.FixedZone("CEST", 2*3600))
	expiring := e.key(u, func(k *gatehouse.APIKey) { k.Expires = expires }, gatehouse.ScopeRead)
	forever := e.key(u, nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	if got := send(h, "192.0.2.1", "/", "Bearer "+expiring).Header()[guard.HeaderKeyExpires]; len(got) != 1 || got[0] != "2031-06-07T06:09:10Z" {
		t.Errorf("expiring key: header %q", got)
	}
	if got := send(h, "192.0.2.1", "/", "Bearer "+forever).Header()[guard.HeaderKeyExpires]; got != nil {
		t.Errorf("key without expiry: header %q", got)
	}
}

// session is a Sessions that finds a principal in a test header.
type session struct{ p *gatehouse.Principal }

func (s session) Authenticate(r *http.Request) (*gatehouse.Principal, bool, error) {
	if r.Header.Get("Test-Session") == "" {
		return nil, false, nil
	}
	return s.p, true, nil
}

func TestSessionsSeam(t *testing.T) {
	p := &gatehouse.Principal{UserID: 42, Method: gatehouse.MethodSession, Scopes: gatehouse.NewScopes(gatehouse.ScopeRead)}
	e := newEnv(t, func(c *guard.Config) { c.Sessions = session{p} })
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	h := e.handler(gatehouse.ScopeRead)
	withSession := func(auth ...string) (int, string) {
		r := httptestRequest("/", auth...)
		r.Header.Set("Test-Session", "1")
		w := serve(h, r)
		return w.Code, w.Body.String()
	}
	if code, body := withSession(); code != 200 || body != "user=42 key= method=session scopes=read" {
		t.Errorf("session: %d %s", code, body)
	}
	if code, _ := withSession("Bearer " + key); code != http.StatusBadRequest {
		t.Errorf("session and key: %d, want 400", code)
	}
	if w := send(h, "192.0.2.1", "/", "Bearer "+key); w.Code != 200 {
		t.Errorf("key alone: %d", w.Code)
	}
}
