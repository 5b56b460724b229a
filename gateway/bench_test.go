package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/gateway"
)

// benchUpstream answers a small JSON body, like the load test's upstream.
var benchUpstream = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"hello":"user 1","padding":"0123456789abcdef"}`)
})

// benchGet sends GET url with the headers, on one kept-alive connection at
// a time, until b.Loop ends.
func benchGet(b *testing.B, url string, header http.Header) {
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	b.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header = header
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// BenchmarkProxyBare is the baseline: httputil.ReverseProxy with the
// gateway's transport and nothing else, over loopback.
func BenchmarkProxyBare(b *testing.B) {
	up := httptest.NewServer(benchUpstream)
	defer up.Close()
	target, _ := url.Parse(up.URL)
	proxy := &httputil.ReverseProxy{
		Rewrite:    func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.SetXForwarded() },
		Transport:  gateway.NewTransport(256, 0),
		BufferPool: &pool{},
	}
	srv := httptest.NewServer(proxy)
	defer srv.Close()
	benchGet(b, srv.URL+"/api/hello", http.Header{})
}

// BenchmarkProxyAuthenticated is the same request through the gateway
// with an API key: path check, guard, rules, header rewriting.
func BenchmarkProxyAuthenticated(b *testing.B) {
	e := newEnv(b, envOpts{upstream: benchUpstream, noRecord: true, adjust: func(c *gateway.Config) { c.Logger = nil }})
	key := e.key(gatehouse.RoleReader, gatehouse.ScopeRead)
	srv := httptest.NewServer(e.gw)
	defer srv.Close()
	benchGet(b, srv.URL+"/api/hello", http.Header{"Authorization": {"apikey " + key}})
}

// memoryUpstream answers every request in memory, so that the handler
// benchmarks below measure the proxies' own work, not the network.
type memoryUpstream struct{}

func (memoryUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	body := `{"hello":"user 1","padding":"0123456789abcdef"}`
	return &http.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r,
		Header:        http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(body))}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
	}, nil
}

// serveLoop serves a fresh request from template to h until b.Loop ends.
func serveLoop(b *testing.B, h http.Handler, header http.Header) {
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("GET", "https://gw.example/api/hello", nil)
		r.RemoteAddr = "192.0.2.1:40000"
		r.Header = header.Clone()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkHandlerBare and BenchmarkHandlerAuthenticated compare the CPU
// cost of a request through a bare ReverseProxy and through the gateway
// with an API key, with an in-memory upstream: the difference is what
// Gatehouse adds (path check, key check, rules, headers, log line).
func BenchmarkHandlerBare(b *testing.B) {
	target, _ := url.Parse("http://upstream.example")
	proxy := &httputil.ReverseProxy{
		Rewrite:    func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.SetXForwarded() },
		Transport:  memoryUpstream{},
		BufferPool: &pool{},
	}
	serveLoop(b, proxy, http.Header{})
}

func BenchmarkHandlerAuthenticated(b *testing.B) {
	e := newEnv(b, envOpts{upstream: benchUpstream, noRecord: true, adjust: func(c *gateway.Config) {
		c.Logger, c.Transport = nil, memoryUpstream{}
	}})
	key := e.key(gatehouse.RoleReader, gatehouse.ScopeRead)
	serveLoop(b, e.gw, http.Header{"Authorization": {"apikey " + key}})
}

func BenchmarkHandlerAuthenticatedWithAssertion(b *testing.B) {
	a, err := gateway.NewAssertions(b.Context(), gateway.AssertionConfig{})
	if err != nil {
		b.Fatal(err)
	}
	e := newEnv(b, envOpts{upstream: benchUpstream, noRecord: true, adjust: func(c *gateway.Config) {
		c.Logger, c.Transport, c.Assertions = nil, memoryUpstream{}, a
	}})
	key := e.key(gatehouse.RoleReader, gatehouse.ScopeRead)
	serveLoop(b, e.gw, http.Header{"Authorization": {"apikey " + key}})
}

// BenchmarkCheckPath is the canonical-path check of every request.
func BenchmarkCheckPath(b *testing.B) {
	for b.Loop() {
		if gateway.CheckPath("/api/posts/123/comments/") != nil {
			b.Fatal("refused")
		}
	}
}

// pool lends the bare proxy its copy buffers, as the gateway's does:
// array pointers, which a returned slice converts back to without
// allocating.
type pool struct{ p sync.Pool }

func (b *pool) Get() []byte {
	if a, ok := b.p.Get().(*[32 << 10]byte); ok {
		return a[:]
	}
	return new([32 << 10]byte)[:]
}

func (b *pool) Put(buf []byte) {
	if cap(buf) >= 32<<10 {
		b.p.Put((*[32 << 10]byte)(buf[:32<<10]))
	}
}
