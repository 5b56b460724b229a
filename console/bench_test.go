package console_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

// BenchmarkKeysPage50 measures GET /keys for a user with 50 keys through
// the whole server (session check, keyring, template), in process, and
// reports the size of the page and of the stylesheet it loads once.
func BenchmarkKeysPage50(b *testing.B) {
	h := newHarness(b)
	u := h.user(gatehouse.RoleAuthor)
	for i := range 50 {
		h.key(u, fmt.Sprintf("key number %d", i), "read", "write")
	}
	cookie := h.startSession(u, "bench")
	handler := h.server.Config.Handler
	get := func(path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "https://127.0.0.1"+path, nil)
		r.AddCookie(cookie)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, w.Code)
		}
		return w
	}
	page := get("/keys")
	css := get(assetURL(b, page.Body.String(), "console.css"))
	for b.Loop() {
		get("/keys")
	}
	b.ReportMetric(float64(page.Body.Len()), "page-bytes")
	b.ReportMetric(float64(css.Body.Len()), "css-bytes")
}
