package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-dev/gatehouse/server"
)

// TestUntrustedForwardedHeaders: X-Forwarded-For is believed only from a
// configured proxy, and then only up to the first hop that is not one.
func TestUntrustedForwardedHeaders(t *testing.T) {
	p, err := server.ParseProxies([]string{"10.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.9:1234", []string{"1.2.3.4"}, "203.0.113.9"},
		{"trusted proxy", "10.1.2.3:1234", []string{"198.51.100.7"}, "198.51.100.7"},
		{"forged chain through a trusted proxy", "10.1.2.3:1234", []string{"6.6.6.6, 198.51.100.7"}, "198.51.100.7"},
		{"two trusted hops", "10.1.2.3:1234", []string{"198.51.100.7, 10.9.9.9"}, "198.51.100.7"},
		{"repeated header lines", "10.1.2.3:1234", []string{"6.6.6.6", "198.51.100.7"}, "198.51.100.7"},
		{"garbage", "10.1.2.3:1234", []string{"not-an-ip"}, "10.1.2.3"},
		{"ipv6 loopback proxy", "[::1]:1234", []string{"2001:db8::1"}, "2001:db8::1"},
		{"ipv4-mapped peer", "[::ffff:203.0.113.9]:1234", nil, "203.0.113.9"},
		{"ipv6 peer, not canonical", "[2001:DB8:0::0:1]:1234", nil, "2001:db8::1"},
		{"peer without a port", "203.0.113.9", nil, "203.0.113.9"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := p.ClientAddr(r); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	var none server.Proxies
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr, r.Header["X-Forwarded-For"] = "10.1.2.3:1", []string{"1.1.1.1"}
	if got := none.ClientAddr(r); got != "10.1.2.3" {
		t.Errorf("zero Proxies believed X-Forwarded-For: %s", got)
	}
	if _, err := server.ParseProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("bad prefix accepted")
	}
	// The address of an IPv4 peer is a piece of RemoteAddr: it is asked for
	// on every request (rate limits, audit), so it must not allocate.
	r.RemoteAddr = "203.0.113.9:1234"
	if n := testing.AllocsPerRun(100, func() { _ = p.ClientAddr(r) }); n != 0 {
		t.Errorf("ClientAddr of an IPv4 peer: %v allocations", n)
	}
}

// TestPlainHTTPOnlyFromTrustedProxies: behind --insecure-behind-proxy, a
// direct client is refused and a proxy's plain-HTTP request is redirected.
func TestPlainHTTPOnlyFromTrustedProxies(t *testing.T) {
	p, _ := server.ParseProxies([]string{"10.0.0.1"})
	var reached bool
	h := p.PlainHTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
	tests := []struct {
		peer, proto string
		want        int
		reach       bool
	}{
		{"203.0.113.9:1", "https", 403, false},
		{"10.0.0.1:1", "http", 308, false},
		{"10.0.0.1:1", "", 308, false},
		{"10.0.0.1:1", "https", 200, true},
	}
	for _, tt := range tests {
		reached = false
		r := httptest.NewRequest("GET", "http://api.example/x", nil)
		r.RemoteAddr = tt.peer
		if tt.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want || reached != tt.reach {
			t.Errorf("%s %q: %d reached=%v", tt.peer, tt.proto, w.Code, reached)
		}
	}
}

func TestRedirectHandler(t *testing.T) {
	h := server.RedirectHandler("8443", nil)
	tests := []struct{ host, target, want string }{
		{"example.com", "/a/b?c=d", "https://example.com:8443/a/b?c=d"},
		{"example.com:8080", "/", "https://example.com:8443/"},
		{"[::1]:8080", "/x", "https://[::1]:8443/x"},
		{"evil.com/@x", "/", ""},
		{"a b", "/", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "http://placeholder"+tt.target, nil)
		r.Host = tt.host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if tt.want == "" {
			if w.Code != 400 {
				t.Errorf("host %q: %d, want 400", tt.host, w.Code)
			}
			continue
		}
		if w.Code != http.StatusPermanentRedirect || w.Header().Get("Location") != tt.want {
			t.Errorf("host %q: %d %q, want 308 %q", tt.host, w.Code, w.Header().Get("Location"), tt.want)
		}
	}
}
