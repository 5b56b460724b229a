package sso_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/sso"
)

// gitHub is a local stand-in for GitHub's OAuth2 and user API endpoints.
// GitHub cannot run locally, so this is the one place a stand-in replaces
// the real service; it implements what Gatehouse relies on: the
// authorization redirect, the code exchange with PKCE and client secret in
// the form, GET /user with a numeric id, and GET /user/emails.
func gitHub(t testing.TB) *httptest.Server {
	t.Helper()
	var challenge string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		challenge = q.Get("code_challenge")
		back, _ := url.Parse(q.Get("redirect_uri"))
		back.RawQuery = url.Values{"code": {"gh-code"}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
		if r.PostFormValue("client_id") != "gh-client" || r.PostFormValue("client_secret") != "gh-secret" ||
			r.PostFormValue("code") != "gh-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != challenge {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"bad_verification_code"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"gho_test","token_type":"bearer","scope":"read:user,user:email"}`))
	})
	api := func(body any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer gho_test" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			_ = json.NewEncoder(w).Encode(body)
		}
	}
	mux.HandleFunc("GET /api/user", api(map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat", "email": "public@example.org"}))
	mux.HandleFunc("GET /api/user/emails", api([]map[string]any{
		{"email": "unverified@example.org", "primary": false, "verified": false},
		{"email": "octo@example.org", "primary": true, "verified": true},
	}))
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestGitHubLogin signs in through GitHub's OAuth2 (no OpenID Connect):
// the user is keyed by GitHub's numeric id and gets the verified primary
// email, not the public profile one.
func TestGitHubLogin(t *testing.T) {
	eachBackend(t, func(t *testing.T, open func(testing.TB) gatehouse.Store) {
		gh := gitHub(t)
		st := open(t)
		a := newApp(t, st, []sso.ProviderConfig{{Name: "github", Kind: sso.KindGitHub, ClientID: "gh-client", ClientSecret: "gh-secret",
			AuthURL: gh.URL + "/login/oauth/authorize", TokenURL: gh.URL + "/login/oauth/access_token", APIURL: gh.URL + "/api",
			AllowEmails: []string{"example.org"}}}, nil)
		b := a.browser()
		if p := b.get(t, a.srv.URL+"/auth/login?provider=github"); p.status != http.StatusOK {
			t.Fatalf("github login: %d\n%s", p.status, p.body)
		}
		status, v := a.me(t, b)
		if status != http.StatusOK || v.Email != "octo@example.org" || v.Role != "reader" || v.Method != "session" {
			t.Fatalf("/api/me = %d %+v", status, v)
		}
		u, err := st.UserByIdentity(t.Context(), "https://github.com", "583231")
		if err != nil || u.ID != v.UserID || u.Kind != gatehouse.KindPerson {
			t.Fatalf("user by GitHub id: %+v %v", u, err)
		}
	})
}
