package guard_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
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

// TestMoreThanOneCredentialAndMalformedRequestsAre400: each is a 400
// invalid_request that does not repeat the key. A key where it is never
// accepted (the query string, Basic with another user) is audited as
// key.reject with the reason and, when it is well-formed, its display
// prefix, never the secret; the other malformed requests are not.
func TestMoreThanOneCredentialAndMalformedRequestsAre400(t *testing.T) {
	e := newEnv(t, nil)
	key := e.key(e.user(gatehouse.RoleAuthor), nil, gatehouse.ScopeRead)
	k, _ := apikey.Parse(key)
	h := e.handler(gatehouse.ScopeRead)
	tests := []struct {
		name   string
		target string
		auth   []string
		reason string // the key.reject reason; "" for none
		prefix string // its key prefix
	}{
		{"two Authorization headers", "/", []string{"Bearer " + key, "Bearer " + key}, "", ""},
		{"key in the query string", "/?api_key=" + key, nil, "key_in_query", k.DisplayPrefix()},
		{"key in the query string besides the header", "/?q=" + key, []string{"Bearer " + key}, "key_in_query", k.DisplayPrefix()},
		{"junk in a key parameter", "/?access_token=not-a-key", nil, "key_in_query", ""},
		{"Basic with another user", "/", []string{basic("admin", key)}, "basic_user", k.DisplayPrefix()},
		{"Basic with the key as user", "/", []string{basic(key, "")}, "basic_user", k.DisplayPrefix()},
		{"Basic with another user and no key", "/", []string{basic("admin", "hunter2")}, "basic_user", ""},
		{"Basic not base64", "/", []string{"Basic %%%"}, "", ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := fmt.Sprintf("192.0.2.%d", i+1)
			w := send(h, addr, tt.target, tt.auth...)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
			}
			if d := details(t, w); d.Error != "invalid_request" || strings.Contains(w.Body.String(), key[27:]) {
				t.Fatalf("body %s", w.Body)
			}
			var got []*gatehouse.AuditEvent
			for _, ev := range e.rejections() {
				if ev.Addr == addr {
					got = append(got, ev)
				}
			}
			if tt.reason == "" {
				if len(got) != 0 {
					t.Fatalf("%d key.reject events for a request that presented no key where it is refused", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d key.reject events from %s, want 1", len(got), addr)
			}
			ev := got[0]
			if ev.Reason != tt.reason || ev.KeyPrefix != tt.prefix || ev.Detail != "count=1" {
				t.Errorf("event reason %q prefix %q detail %q, want %q %q count=1", ev.Reason, ev.KeyPrefix, ev.Detail, tt.reason, tt.prefix)
			}
			if b, _ := json.Marshal(ev); strings.Contains(string(b), key[27:]) || strings.Contains(string(b), "hunter2") {
				t.Errorf("the audit event holds the secret: %s", b)
			}
		})
	}
	if strings.Contains(e.logs.String(), key[27:]) {
		t.Error("the log holds the secret")
	}
}

// TestMisplacedKeysCountAsFailures: keys sent in the query string use up
// the address's failures like any refused key, so that one address cannot
// flood the audit queue; beyond the limit it gets 429 with Retry-After.
func TestMisplacedKeysCountAsFailures(t *testing.T) {
	e := newEnv(t, func(c *guard.Config) { c.FailureBurst, c.FailuresPerMinute = 3, 1 })
	h := e.handler(gatehouse.ScopeRead)
	for i := range 3 {
		if w := send(h, "192.0.2.9", "/?api_key=guess"); w.Code != http.StatusBadRequest {
			t.Fatalf("request %d: %d, want 400", i+1, w.Code)
		}
	}
	w := send(h, "192.0.2.9", "/?api_key=guess")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("over the limit: %d Retry-After %q, want 429", w.Code, w.Header().Get("Retry-After"))
	}
	evs := e.rejections()
	if len(evs) != 1 || evs[0].Reason != "key_in_query" || evs[0].Detail != "count=3" {
		t.Fatalf("events %+v, want one key_in_query row with count=3", evs)
	}
	if w := send(h, "192.0.2.10", "/?api_key=guess"); w.Code != http.StatusBadRequest {
		t.Errorf("another address: %d, want 400", w.Code)
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
