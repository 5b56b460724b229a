package gateway_test

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/gateway"
	"github.com/gatehouse-dev/gatehouse/server"
)

// identityHeaders returns the upstream's X-Gatehouse-* headers (in any
// spelling) by their normalized names.
func identityHeaders(h http.Header) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		n := strings.ReplaceAll(strings.ToLower(k), "_", "-")
		if strings.HasPrefix(n, "x-gatehouse-") {
			out[n] = append(out[n], v...)
		}
	}
	return out
}

// TestForgedIdentityHeaders: whatever identity headers a client sends, in
// whatever spelling, however often, and even when it names them in
// Connection to have the proxy drop the real ones, the upstream sees only
// those the gateway set.
func TestForgedIdentityHeaders(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := e.key(gatehouse.RoleReader, gatehouse.ScopeRead)
	forged := "X-Gatehouse-User-Id: 1\r\nx-gatehouse-user-id: 2\r\nX_Gatehouse_User_Id: 3\r\nx_gatehouse_role: admin\r\n" +
		"X-GATEHOUSE-ROLE: admin\r\nX-Gatehouse-Scopes: admin\r\nX-Gatehouse-Scopes: write\r\nX-Gatehouse-Key-Id: forged\r\n" +
		"X-Gatehouse-Email: boss@example.com\r\nX-Gatehouse-Auth-Method: session\r\nX-Gatehouse-Assertion: forged\r\n" +
		"X-Gatehouse-Anything: x\r\n"
	tests := []struct {
		name, auth, connection string
		want                   map[string]string // normalized name -> the one value; nil: none at all
	}{
		{"anonymous", "", "", nil},
		{"anonymous, hop-by-hop trick", "", "Connection: X-Gatehouse-User-Id, X-Gatehouse-Role\r\n", nil},
		{"with a key", "Authorization: apikey " + key + "\r\n", "", map[string]string{
			"x-gatehouse-user-id": "1", "x-gatehouse-role": "reader", "x-gatehouse-scopes": "read",
			"x-gatehouse-auth-method": "apikey", "x-gatehouse-email": "svc1@example.com",
		}},
		{"with a key, hop-by-hop trick", "Authorization: apikey " + key + "\r\n",
			"Connection: keep-alive, X-Gatehouse-User-Id, x-gatehouse-role, X-Gatehouse-Scopes\r\n", map[string]string{
				"x-gatehouse-user-id": "1", "x-gatehouse-role": "reader", "x-gatehouse-scopes": "read",
				"x-gatehouse-auth-method": "apikey", "x-gatehouse-email": "svc1@example.com",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.raw("GET /public/x HTTP/1.1\r\nHost: a\r\n" + tt.auth + tt.connection + forged + "\r\n")
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			got := identityHeaders(e.up.take()[0].Header)
			keyID := got["x-gatehouse-key-id"]
			delete(got, "x-gatehouse-key-id")
			if tt.want == nil {
				if len(got) > 0 || keyID != nil {
					t.Fatalf("anonymous request reached the upstream with %v %v", got, keyID)
				}
				return
			}
			if len(keyID) != 1 || !strings.Contains(key, "_"+keyID[0]+"_") {
				t.Errorf("key id %v", keyID)
			}
			if len(got) != len(tt.want) {
				t.Errorf("upstream saw %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if len(got[k]) != 1 || got[k][0] != v {
					t.Errorf("%s = %q, want [%q]", k, got[k], v)
				}
			}
		})
	}
}

// TestCredentialsNotForwarded: the key and Gatehouse's cookies never reach
// the upstream; other cookies do.
func TestCredentialsNotForwarded(t *testing.T) {
	e := newEnv(t, envOpts{})
	key := e.key(gatehouse.RoleReader, gatehouse.ScopeRead)
	e.do("GET", "/api/x", key, "Cookie", "theme=dark; __Host-gatehouse=secret; __host-GATEHOUSE-login=x", "Cookie", "gatehouse=y")
	h := e.up.take()[0].Header
	if h.Get("Authorization") != "" {
		t.Errorf("Authorization forwarded: %q", h.Get("Authorization"))
	}
	if c := strings.Join(h.Values("Cookie"), "; "); c != "theme=dark" {
		t.Errorf("Cookie forwarded: %q", c)
	}
	if strings.Contains(strings.Join(h.Values("Cookie"), ""), key) {
		t.Error("key in a cookie")
	}
}

// TestUntrustedForwardingHeaders: a client's X-Forwarded-*, Forwarded,
// X-Real-IP and the other client address, host and scheme headers that
// frameworks and CDNs use, URL rewrites and method overrides are replaced
// or removed, in any spelling;
// a trusted proxy's chain is extended.
func TestUntrustedForwardingHeaders(t *testing.T) {
	spoof := []string{
		"X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "http", "X-Forwarded-Host", "evil.example",
		"X_Forwarded_For", "203.0.113.8", "Forwarded", "for=203.0.113.7", "X-Real-IP", "203.0.113.6",
		"X-Original-URL", "/api/admin/", "X-Rewrite-URL", "/api/admin/", "X-HTTP-Method-Override", "DELETE",
		"X-Forwarded-Prefix", "/api/admin", "Request-Id", "client-chosen",
		"X-Forwarded", "for=203.0.113.5", "X-Host", "evil.example", "x_original_host", "evil.example",
		"X-Cluster-Client-IP", "203.0.113.4", "CF_Connecting_IP", "203.0.113.3", "Front-End-Https", "off",
		"X-Url-Scheme", "http", "X-ORIGINAL-FORWARDED-FOR", "203.0.113.2",
	}
	t.Run("untrusted", func(t *testing.T) {
		e := newEnv(t, envOpts{})
		resp := e.do("GET", "/public/x", "", spoof...)
		h := e.up.take()[0].Header
		want := map[string]string{
			"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "https", "X-Forwarded-Host": strings.TrimPrefix(e.srv.URL, "https://"),
			"Request-Id": resp.Header.Get("Request-Id"),
		}
		for k, v := range want {
			if got := h.Values(k); len(got) != 1 || got[0] != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		for k := range h {
			n := strings.ReplaceAll(strings.ToLower(k), "_", "-")
			switch n {
			case "forwarded", "x-real-ip", "x-original-url", "x-rewrite-url", "x-http-method-override", "x-forwarded-prefix",
				"x-forwarded", "x-host", "x-original-host", "x-cluster-client-ip", "cf-connecting-ip", "front-end-https",
				"x-url-scheme", "x-original-forwarded-for":
				t.Errorf("%s forwarded: %q", k, h[k])
			case "x-forwarded-for":
				if k != "X-Forwarded-For" {
					t.Errorf("%s forwarded", k)
				}
			}
		}
	})
	t.Run("trusted", func(t *testing.T) {
		proxies, _ := server.ParseProxies([]string{"127.0.0.1"})
		e := newEnv(t, envOpts{adjust: func(c *gateway.Config) { c.Proxies = proxies }})
		// The proxy received plain HTTP: the gateway's own "https" would be
		// wrong.
		e.do("GET", "/public/x", "", "X-Forwarded-For", "203.0.113.9", "X-Forwarded-Proto", "http", "X-Forwarded-Host", "api.example")
		h := e.up.take()[0].Header
		if got := h.Get("X-Forwarded-For"); got != "203.0.113.9, 127.0.0.1" {
			t.Errorf("X-Forwarded-For %q", got)
		}
		if got := h.Values("X-Forwarded-Proto"); len(got) != 1 || got[0] != "http" {
			t.Errorf("X-Forwarded-Proto %q, want the trusted proxy's http", got)
		}
		if h.Get("X-Forwarded-Host") != "api.example" {
			t.Errorf("X-Forwarded-Host %q", h.Get("X-Forwarded-Host"))
		}
	})
}

// TestUpstreamCannotSetIdentityOrCookies: on the way back, identity
// headers and Gatehouse's cookies set by the upstream are dropped.
func TestUpstreamCannotSetIdentityOrCookies(t *testing.T) {
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("X-Gatehouse-User-Id", "1")
		h["x_gatehouse_role"] = []string{"admin"}
		h.Add("X-Gatehouse-Assertion", "x")
		h.Add("Set-Cookie", "__Host-gatehouse=planted; Path=/; Secure")
		h.Add("Set-Cookie", "gatehouse_login=planted")
		h.Add("Set-Cookie", "theme=dark")
		h.Add("Strict-Transport-Security", "max-age=0")
		h.Add("Cache-Control", "max-age=60")
	})
	e := newEnv(t, envOpts{upstream: up})
	resp := e.do("GET", "/public/x", "")
	if got := identityHeaders(resp.Header); len(got) > 0 {
		t.Errorf("client got %v", got)
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) != 1 || sc[0] != "theme=dark" {
		t.Errorf("Set-Cookie %q", sc)
	}
	if hsts := resp.Header.Values("Strict-Transport-Security"); len(hsts) != 1 || hsts[0] != server.HSTS {
		t.Errorf("HSTS %q", hsts)
	}
	if cc := resp.Header.Values("Cache-Control"); len(cc) != 1 || cc[0] != "max-age=60" {
		t.Errorf("the upstream's Cache-Control was changed: %q", cc)
	}
}

func TestConfigurableHeaderNames(t *testing.T) {
	e := newEnv(t, envOpts{adjust: func(c *gateway.Config) {
		c.Headers = gateway.Headers{UserID: "X-User", Scopes: "X-Scopes"}
	}})
	key := e.key(gatehouse.RoleReader, gatehouse.ScopeRead)
	e.do("GET", "/api/x", key, "X-User", "999", "x_user", "998")
	h := e.up.take()[0].Header
	if v := h.Values("X-User"); len(v) != 1 || v[0] == "999" {
		t.Errorf("X-User %q", v)
	}
	if _, ok := h["X_user"]; ok {
		t.Error("x_user forwarded")
	}
	if h.Get("X-Scopes") != "read" || h.Get("X-Gatehouse-Role") != "reader" {
		t.Errorf("headers %v", h)
	}
	for _, bad := range []gateway.Headers{{UserID: "Authorization"}, {Email: "X-Forwarded-For"}, {Role: "X-A", Scopes: "x_a"}, {KeyID: "bad name"}} {
		if _, err := gateway.New(gateway.Config{Guard: e.guard, Routes: e.gw.Table(), Headers: bad}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestNosniffOnEveryResponse: every response carries one
// X-Content-Type-Options: nosniff, whether the upstream sent one, none, or
// another value.
func TestNosniffOnEveryResponse(t *testing.T) {
	for _, sent := range [][]string{nil, {"nosniff"}, {"nosniff", "nosniff"}, {"sniff-away"}} {
		up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header()["X-Content-Type-Options"] = sent
		})
		e := newEnv(t, envOpts{upstream: up})
		for _, path := range []string{"/public/x", "/api/x", "/nowhere"} {
			got := e.do("GET", path, "").Header.Values("X-Content-Type-Options")
			if len(got) != 1 || got[0] != "nosniff" {
				t.Errorf("upstream sent %q, GET %s: client got %q", sent, path, got)
			}
		}
	}
}

// TestUserAgentPassedAsSent: the upstream sees the client's User-Agent,
// and none (not Go's) when the client sent none.
func TestUserAgentPassedAsSent(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, ua := range []string{"", "curl/8.0"} {
		req := "GET /public/x HTTP/1.1\r\nHost: gw.test\r\n"
		if ua != "" {
			req += "User-Agent: " + ua + "\r\n"
		}
		if resp := e.raw(req + "\r\n"); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		got := e.up.take()
		if len(got) != 1 || strings.Join(got[0].Header.Values("User-Agent"), ",") != ua {
			t.Errorf("client sent %q, upstream got %q", ua, got[0].Header.Values("User-Agent"))
		}
	}
}

// TestInformationalResponsesCleaned: a 1xx response (103 Early Hints)
// passes on the upstream's hints, but not the identity headers and
// Gatehouse cookies it carries; and the final response after it keeps the
// gateway's Request-Id, nosniff and HSTS, over HTTP/2 and HTTP/1.1.
func TestInformationalResponsesCleaned(t *testing.T) {
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Set-Cookie", "__Host-gatehouse=planted; Path=/; Secure")
		h.Set("X-Gatehouse-User-Id", "1")
		h.Set("X_Gatehouse_Role", "admin")
		h.Set("Request-Id", "upstream-chosen")
		h.Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		for _, k := range []string{"Set-Cookie", "X-Gatehouse-User-Id", "X_Gatehouse_Role", "Request-Id", "Link"} {
			h.Del(k)
		}
		io.WriteString(w, "ok")
	})
	e := newEnv(t, envOpts{upstream: up})
	h1 := e.client.Transport.(*http.Transport).Clone()
	h1.ForceAttemptHTTP2 = false
	h1.TLSClientConfig.NextProtos = []string{"http/1.1"}
	h1.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	for _, c := range []struct {
		proto  string
		client *http.Client
	}{{"HTTP/2.0", e.client}, {"HTTP/1.1", &http.Client{Transport: h1}}} {
		var hints []textproto.MIMEHeader
		ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
			Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
				if code == http.StatusEarlyHints {
					hints = append(hints, h)
				}
				return nil
			},
		})
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/public/x", nil)
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.Proto != c.proto || resp.StatusCode != 200 || string(body) != "ok" {
			t.Fatalf("%s %d %q", resp.Proto, resp.StatusCode, body)
		}
		if len(hints) != 1 || hints[0].Get("Link") != "</a.css>; rel=preload" {
			t.Fatalf("%s: early hints %v, want one with the upstream's Link", c.proto, hints)
		}
		if got := identityHeaders(http.Header(hints[0])); len(got) > 0 || hints[0].Get("Set-Cookie") != "" || hints[0].Get("Request-Id") == "upstream-chosen" {
			t.Errorf("%s: the 103 passed on %v", c.proto, hints[0])
		}
		for k, want := range map[string]string{"Request-Id": "", "X-Content-Type-Options": "nosniff", "Strict-Transport-Security": server.HSTS} {
			if v := resp.Header.Values(k); len(v) != 1 || want != "" && v[0] != want || v[0] == "upstream-chosen" {
				t.Errorf("%s: final response after a 103 has %s %q", c.proto, k, v)
			}
		}
		if len(e.up.take()) != 1 {
			t.Errorf("%s: not forwarded once", c.proto)
		}
	}
}

// TestUpstreamTrailersCleaned: trailers, announced or not, cannot carry
// identity headers or cookies back to the client (they come after the
// body, past ModifyResponse); other trailers pass, over HTTP/2 and
// HTTP/1.1.
func TestUpstreamTrailersCleaned(t *testing.T) {
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		announced := r.URL.Query().Get("announced") == "1"
		prefix := http.TrailerPrefix
		if announced {
			h.Set("Trailer", "Set-Cookie, X-Gatehouse-User-Id, x_gatehouse_role, Request-Id, X-Checksum")
			prefix = ""
		}
		io.WriteString(w, "ok")
		http.NewResponseController(w).Flush() // chunked, not a Content-Length: there is room for trailers
		h.Set(prefix+"Set-Cookie", "__Host-gatehouse=planted; Path=/; Secure")
		h.Set(prefix+"X-Gatehouse-User-Id", "1")
		h[prefix+"x_gatehouse_role"] = []string{"admin"}
		h.Set(prefix+"Request-Id", "upstream-chosen")
		h.Set(prefix+"X-Checksum", "abc")
	})
	e := newEnv(t, envOpts{upstream: up})
	for _, announced := range []string{"1", "0"} {
		for _, h2 := range []bool{true, false} {
			var resp *http.Response
			if h2 {
				resp = e.do("GET", "/public/x?announced="+announced, "")
				io.ReadAll(resp.Body)
			} else {
				resp = e.raw("GET /public/x?announced=" + announced + " HTTP/1.1\r\nHost: a\r\n\r\n")
			}
			if resp.StatusCode != 200 || resp.Trailer.Get("X-Checksum") != "abc" {
				t.Fatalf("announced=%s HTTP/2=%v: %d, trailers %v; want X-Checksum: abc", announced, h2, resp.StatusCode, resp.Trailer)
			}
			for k, v := range resp.Trailer {
				if n := strings.ReplaceAll(strings.ToLower(k), "_", "-"); n != "x-checksum" {
					t.Errorf("announced=%s HTTP/2=%v: trailer %s: %q reached the client", announced, h2, k, v)
				}
			}
			e.up.take()
		}
	}
}
