package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/gatehouse-dev/gatehouse/certs"
	"github.com/gatehouse-dev/gatehouse/server"
	"github.com/gatehouse-dev/gatehouse/sqlite"
)

// TestRedirectHandlerServesACMEChallenges: with an ACME HTTP handler, the
// plain listener answers HTTP-01 challenges for the configured domain from
// the certificate cache, and still redirects every other path with 308.
func TestRedirectHandlerServesACMEChallenges(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "g.db"), sqlite.Config{CreateIfMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := certs.NewACME(certs.ACMEConfig{Domains: []string{"gatehouse.test"}, Cache: st})
	if err != nil {
		t.Fatal(err)
	}
	// The key authorization autocert keeps for a pending HTTP-01 challenge.
	if err := (certs.StoreCache{C: st}).Put(ctx, "tok123+http-01", []byte("tok123.thumb")); err != nil {
		t.Fatal(err)
	}
	h := server.RedirectHandler("8443", a.HTTPHandler)
	tests := []struct {
		host, target string
		code         int
		body         string // for 200
		location     string // for 308
	}{
		{"gatehouse.test", "/.well-known/acme-challenge/tok123", 200, "tok123.thumb", ""},
		{"gatehouse.test:80", "/.well-known/acme-challenge/tok123", 200, "tok123.thumb", ""},
		{"gatehouse.test", "/.well-known/acme-challenge/unknown", 404, "", ""},
		{"other.test", "/.well-known/acme-challenge/tok123", 403, "", ""},
		{"gatehouse.test", "/x", 308, "", "https://gatehouse.test:8443/x"},
		{"gatehouse.test", "/.well-known/other", 308, "", "https://gatehouse.test:8443/.well-known/other"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "http://placeholder"+tt.target, nil)
		r.Host = tt.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		body, _ := io.ReadAll(w.Result().Body)
		if w.Code != tt.code {
			t.Errorf("%s%s: %d, want %d", tt.host, tt.target, w.Code, tt.code)
			continue
		}
		if tt.body != "" && string(body) != tt.body {
			t.Errorf("%s%s: body %q, want %q", tt.host, tt.target, body, tt.body)
		}
		if tt.location != "" && w.Header().Get("Location") != tt.location {
			t.Errorf("%s%s: Location %q, want %q", tt.host, tt.target, w.Header().Get("Location"), tt.location)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s%s: no security headers", tt.host, tt.target)
		}
	}
	// Without ACME the same path is only redirected.
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "http://gatehouse.test/.well-known/acme-challenge/tok123", nil)
	server.RedirectHandler("8443", nil).ServeHTTP(w, r)
	if w.Code != http.StatusPermanentRedirect {
		t.Errorf("without ACME, a challenge path got %d, want 308", w.Code)
	}
}
