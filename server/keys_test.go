package server_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

type keyJSON struct {
	ID      string   `json:"id"`
	Label   string   `json:"label"`
	Prefix  string   `json:"prefix"`
	Scopes  []string `json:"scopes"`
	Status  string   `json:"status"`
	Key     string   `json:"key"`
	Warning string   `json:"warning"`
}

func TestMeWithEachHeaderForm(t *testing.T) { backends(t, testMeWithEachHeaderForm) }

func testMeWithEachHeaderForm(t *testing.T, h *harness) {
	u := h.user("me-bot", gatehouse.RoleAuthor)
	key, k := h.key(u, "ci", "read", "write")
	basic := base64.StdEncoding.EncodeToString([]byte("apikey:" + key))
	for _, hdr := range [][]string{
		{"Authorization", "apikey " + key},
		{"Authorization", "ApiKey " + key},
		{"Authorization", "Bearer " + key},
		{"Authorization", "bearer " + key},
		{"Authorization", "Basic " + basic},
	} {
		r := h.do("GET", "/api/me", "", hdr...)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", hdr[1][:8], r.status, r.body)
		}
		var me struct {
			UserID int64    `json:"user_id"`
			Role   string   `json:"role"`
			Method string   `json:"auth_method"`
			KeyID  string   `json:"key_id"`
			Scopes []string `json:"scopes"`
		}
		r.json(t, &me)
		if me.UserID != u.ID || me.Role != "author" || me.Method != "apikey" || me.KeyID != k.ID || strings.Join(me.Scopes, ",") != "read,write" {
			t.Errorf("me = %+v", me)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Error("authenticated response is cacheable")
		}
	}
}

func TestCredentialMistakes(t *testing.T) { backends(t, testCredentialMistakes) }

func testCredentialMistakes(t *testing.T, h *harness) {
	u := h.user("mistakes", gatehouse.RoleAuthor)
	key, _ := h.key(u, "ci", "read")
	tests := []struct {
		name   string
		path   string
		hdr    []string
		status int
	}{
		{"no credential", "/api/me", nil, 401},
		{"key in query", "/api/me?api_key=" + key, nil, 400},
		{"two headers", "/api/me", []string{"Authorization", "apikey " + key, "Authorization", "apikey " + key}, 400},
		{"truncated key", "/api/me", auth(key[:len(key)-1]), 401},
		{"basic wrong user", "/api/me", []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+key))}, 400},
		{"basic bad base64", "/api/me", []string{"Authorization", "Basic !!!"}, 400},
	}
	for _, tt := range tests {
		r := h.do("GET", tt.path, "", tt.hdr...)
		if r.status != tt.status {
			t.Errorf("%s: %d, want %d (%s)", tt.name, r.status, tt.status, r.body)
		}
		r.problem(t)
		if strings.Contains(string(r.body), key) {
			t.Errorf("%s: the key is echoed back", tt.name)
		}
	}
}

func TestKeyLifecycleOverREST(t *testing.T) { backends(t, testKeyLifecycleOverREST) }

func testKeyLifecycleOverREST(t *testing.T, h *harness) {
	u := h.user("owner", gatehouse.RoleAuthor)
	admin, _ := h.key(u, "manager", "read", "write", "keys")

	// Create: the secret is in this response only.
	r := h.do("POST", "/api/keys", `{"label":"deploy","scopes":["read","write"],"expires_in":"90d"}`, auth(admin)...)
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created keyJSON
	r.json(t, &created)
	if created.Key == "" || created.Warning == "" || r.header.Get("Location") != "/api/keys/"+created.ID {
		t.Fatalf("create response %+v", created)
	}
	if r := h.do("GET", "/api/me", "", auth(created.Key)...); r.status != 200 || r.header.Get("Gatehouse-Key-Expires") == "" {
		t.Fatalf("new key: %d, expires header %q", r.status, r.header.Get("Gatehouse-Key-Expires"))
	}

	// List and get never show a secret.
	for _, p := range []string{"/api/keys", "/api/keys/" + created.ID} {
		r := h.do("GET", p, "", auth(admin)...)
		if r.status != 200 || strings.Contains(string(r.body), created.Key) || strings.Contains(string(r.body), admin) {
			t.Fatalf("%s: %d, or a secret is shown: %s", p, r.status, r.body)
		}
	}

	// Roll: a new secret; the old one stops at once (no grace asked).
	r = h.do("POST", "/api/keys/"+created.ID+"/roll", "", auth(admin)...)
	var rolled keyJSON
	r.json(t, &rolled)
	if r.status != 200 || rolled.ID != created.ID || rolled.Key == created.Key || rolled.Key == "" {
		t.Fatalf("roll: %d %+v", r.status, rolled)
	}
	if r := h.do("GET", "/api/me", "", auth(created.Key)...); r.status != 401 {
		t.Errorf("old secret after roll: %d", r.status)
	}
	if r := h.do("GET", "/api/me", "", auth(rolled.Key)...); r.status != 200 {
		t.Errorf("new secret after roll: %d", r.status)
	}

	// Revoke: 401 at once, still listed as revoked; a second revoke conflicts.
	if r := h.do("POST", "/api/keys/"+created.ID+"/revoke", "", auth(admin)...); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/api/me", "", auth(rolled.Key)...); r.status != 401 {
		t.Errorf("revoked key: %d", r.status)
	}
	var got keyJSON
	h.do("GET", "/api/keys/"+created.ID, "", auth(admin)...).json(t, &got)
	if got.Status != "revoked" {
		t.Errorf("status after revoke %q", got.Status)
	}
	if r := h.do("POST", "/api/keys/"+created.ID+"/revoke", "", auth(admin)...); r.status != 409 {
		t.Errorf("second revoke: %d", r.status)
	}
	if r := h.do("POST", "/api/keys/"+created.ID+"/roll", "", auth(admin)...); r.status != 409 {
		t.Errorf("roll of a revoked key: %d", r.status)
	}

	// Delete.
	if r := h.do("DELETE", "/api/keys/"+created.ID, "", auth(admin)...); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/api/keys/"+created.ID, "", auth(admin)...); r.status != 404 {
		t.Errorf("get after delete: %d", r.status)
	}
}

func TestKeysOfAnotherUserAreNotFound(t *testing.T) { backends(t, testKeysOfAnotherUserAreNotFound) }

func testKeysOfAnotherUserAreNotFound(t *testing.T, h *harness) {
	alice, bob := h.user("alice", gatehouse.RoleAuthor), h.user("bob", gatehouse.RoleAuthor)
	aliceKey, _ := h.key(alice, "manage", "keys")
	_, bobsKey := h.key(bob, "bobs", "read")
	for _, tt := range []struct{ method, path string }{
		{"GET", "/api/keys/" + bobsKey.ID},
		{"POST", "/api/keys/" + bobsKey.ID + "/revoke"},
		{"POST", "/api/keys/" + bobsKey.ID + "/roll"},
		{"DELETE", "/api/keys/" + bobsKey.ID},
	} {
		if r := h.do(tt.method, tt.path, "", auth(aliceKey)...); r.status != 404 {
			t.Errorf("%s %s: %d, want 404", tt.method, tt.path, r.status)
		}
	}
	k, err := h.store.Key(t.Context(), bobsKey.ID)
	if err != nil || !k.Revoked.IsZero() {
		t.Errorf("bob's key was changed: %v %+v", err, k)
	}
}

func TestKeysNeedTheKeysScope(t *testing.T) { backends(t, testKeysNeedTheKeysScope) }

func testKeysNeedTheKeysScope(t *testing.T, h *harness) {
	u := h.user("scoped", gatehouse.RoleAdmin)
	key, _ := h.key(u, "rw", "read", "write")
	r := h.do("GET", "/api/keys", "", auth(key)...)
	d := r.problem(t)
	if r.status != 403 || d.Error != "insufficient_scope" || d.Scope != "keys" {
		t.Errorf("%d %+v", r.status, d)
	}
	if w := r.header.Get("WWW-Authenticate"); !strings.Contains(w, `insufficient_scope`) || !strings.Contains(w, `scope="keys"`) {
		t.Errorf("WWW-Authenticate %q", w)
	}
}

func TestStrictJSON(t *testing.T) {
	h := newHarness(t)
	u := h.user("json", gatehouse.RoleAuthor)
	admin, _ := h.key(u, "m", "keys")
	tests := []struct {
		name, body, ctype string
		status            int
	}{
		{"unknown field", `{"label":"a","scopes":["read"],"admin":true}`, "application/json", 400},
		{"duplicate name", `{"label":"a","label":"b","scopes":["read"]}`, "application/json", 400},
		{"trailing data", `{"label":"a","scopes":["read"]} {}`, "application/json", 400},
		{"invalid utf-8", "{\"label\":\"a\xff\",\"scopes\":[\"read\"]}", "application/json", 400},
		{"wrong type", `{"label":1,"scopes":["read"]}`, "application/json", 400},
		{"form body", `label=a`, "application/x-www-form-urlencoded", 415},
		{"unknown scope", `{"label":"a","scopes":["root"]}`, "application/json", 400},
		{"empty label", `{"label":"  ","scopes":["read"]}`, "application/json", 400},
		{"past expiry", `{"label":"a","scopes":["read"],"expires_at":"2001-01-01T00:00:00Z"}`, "application/json", 400},
		{"too large", `{"label":"` + strings.Repeat("a", 2<<20) + `","scopes":["read"]}`, "application/json", 400},
	}
	for _, tt := range tests {
		r := h.do("POST", "/api/keys", tt.body, "Authorization", "apikey "+admin, "Content-Type", tt.ctype)
		if r.status != tt.status {
			t.Errorf("%s: %d, want %d: %s", tt.name, r.status, tt.status, r.body)
		}
	}
	keys, _ := h.store.Keys(t.Context(), u.ID)
	if len(keys) != 1 {
		t.Errorf("refused requests created keys: %d keys", len(keys))
	}
}

// TestKeyCannotWidenItsScopes: a leaked key-management key cannot mint a
// key with scopes it lacks, nor roll, revoke or delete a stronger key.
func TestKeyCannotWidenItsScopes(t *testing.T) { backends(t, testKeyCannotWidenItsScopes) }

func testKeyCannotWidenItsScopes(t *testing.T, h *harness) {
	u := h.user("widen", gatehouse.RoleAdmin)
	manager, _ := h.key(u, "manager", "keys")
	_, strong := h.key(u, "strong", "read", "write", "admin")
	for _, body := range []string{
		`{"label":"escalated","scopes":["read","write","admin","keys"]}`,
		`{"label":"escalated","scopes":["write"]}`,
	} {
		if r := h.do("POST", "/api/keys", body, auth(manager)...); r.status != 403 {
			t.Errorf("create %s: %d, want 403", body, r.status)
		}
	}
	for _, tt := range []struct{ method, path string }{
		{"POST", "/api/keys/" + strong.ID + "/roll"},
		{"POST", "/api/keys/" + strong.ID + "/revoke"},
		{"DELETE", "/api/keys/" + strong.ID},
	} {
		if r := h.do(tt.method, tt.path, "", auth(manager)...); r.status != 403 {
			t.Errorf("%s %s: %d, want 403", tt.method, tt.path, r.status)
		}
	}
	k, err := h.store.Key(t.Context(), strong.ID)
	if err != nil || k.Hash != strong.Hash || !k.Revoked.IsZero() {
		t.Errorf("the strong key was changed: %v", err)
	}
	// Within its own scopes it still works: a keys-only key for a deploy bot.
	if r := h.do("POST", "/api/keys", `{"label":"sub","scopes":["keys"]}`, auth(manager)...); r.status != 201 {
		t.Errorf("create within its scopes: %d %s", r.status, r.body)
	}
}
