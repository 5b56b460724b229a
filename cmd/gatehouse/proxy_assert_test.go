package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// TestProxyAssertionKeysShared: two "gatehouse proxy" processes on one
// database (two replicas) publish the same assertion keys, and a proxy
// started after they stop (a restart) publishes them too.
func TestProxyAssertionKeysShared(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(up.Close)
	getenv, _ := testEnv(t, nil)
	kids := func(s *served) []string {
		t.Helper()
		resp, err := s.client.Get(s.url("/.well-known/jwks.json"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		if err := json.Unmarshal(body, &set); err != nil || resp.StatusCode != 200 {
			t.Fatalf("JWKS: %d %q %v", resp.StatusCode, body, err)
		}
		var out []string
		for _, k := range set.Keys {
			out = append(out, k.Kid)
		}
		slices.Sort(out)
		return out
	}
	a := startProxy(t, getenv, up.URL, "--assertion", "ES256")
	b := startProxy(t, getenv, up.URL, "--assertion", "ES256")
	ka, kb := kids(a), kids(b)
	if len(ka) != 2 || !slices.Equal(ka, kb) {
		t.Fatalf("replicas publish %q and %q, want the same two keys", ka, kb)
	}
	a.stop(t)
	b.stop(t)
	if kc := kids(startProxy(t, getenv, up.URL, "--assertion", "ES256")); !slices.Equal(kc, ka) {
		t.Errorf("after a restart the proxy publishes %q, before %q", kc, ka)
	}
}
