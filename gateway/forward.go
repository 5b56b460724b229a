package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// NewTransport returns the transport the gateway uses to reach upstreams:
// idlePerHost idle connections kept per upstream (Go's default of 2
// makes a loaded proxy open a connection every few requests), a bound of
// headerTimeout on the wait for response headers, bodies passed through
// as they are (no transparent decompression), HTTP/2 to https upstreams.
func NewTransport(idlePerHost int, headerTimeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 nil, // never an environment proxy between the gateway and its upstreams
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          idlePerHost * 4,
		MaxIdleConnsPerHost:   idlePerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: headerTimeout,
		DisableCompression:    true,
	}
}

// bufferSize is the size of ReverseProxy's copy buffers.
const bufferSize = 32 << 10

// bufferPool lends ReverseProxy its 32 KiB copy buffers, which it would
// otherwise allocate for every response. It holds array pointers, which
// a returned slice converts back to without allocating (a *[]byte would
// need a new pointer for every Put).
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if a, ok := b.p.Get().(*[bufferSize]byte); ok {
		return a[:]
	}
	return new([bufferSize]byte)[:]
}

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) >= bufferSize {
		b.p.Put((*[bufferSize]byte)(buf[:bufferSize]))
	}
}

// forwarder returns the handler that forwards to u.
func (g *Gateway) forwarder(u *Upstream) http.Handler {
	return &httputil.ReverseProxy{
		// Rewrite, not Director: it runs after the hop-by-hop headers (and
		// those named by Connection) are removed, so a client cannot make
		// the proxy drop a header set here.
		Rewrite:        func(pr *httputil.ProxyRequest) { g.rewrite(pr, u) },
		Transport:      g.transport,
		BufferPool:     &g.buffers,
		ModifyResponse: g.modifyResponse,
		ErrorHandler:   func(w http.ResponseWriter, r *http.Request, err error) { g.upstreamError(w, r, u, err) },
		ErrorLog:       nil,
	}
}

// rewrite makes the request the upstream receives: the same path and
// query, the client's credentials and forged identity removed, the
// forwarding headers and the caller's identity set.
func (g *Gateway) rewrite(pr *httputil.ProxyRequest, u *Upstream) {
	pr.SetURL(u.URL)
	p, ok := gatehouse.PrincipalFrom(pr.In.Context())
	extra := 4 // X-Forwarded-For, -Proto, -Host and User-Agent
	if ok {
		extra += identityCount + 1 // and the assertion
	}
	out := g.headers.cleanRequest(pr.Out.Header, extra)
	pr.Out.Header = out
	if _, ok := out["User-Agent"]; !ok {
		// ReverseProxy would set the same, in a new slice per request, so
		// that the transport sends no User-Agent of its own.
		out["User-Agent"] = g.noUserAgent
	}
	g.setForwarded(pr)
	if !ok {
		return
	}
	g.headers.setIdentity(out, p)
	if g.assert != nil {
		if tok, err := g.assert.Token(pr.In.Context(), p, u.URL.String()); err == nil {
			out[g.headers.assertion] = []string{tok}
		} else {
			g.log.Error("identity assertion not signed", "err", err) // the upstream sees no assertion: fails closed
		}
	}
}

// setForwarded sets X-Forwarded-For, -Proto and -Host. A trusted proxy's
// values are extended; anyone else's were removed by cleanRequest.
func (g *Gateway) setForwarded(pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out.Header
	peer, _, err := net.SplitHostPort(in.RemoteAddr)
	if err != nil {
		peer = in.RemoteAddr
	}
	proto, host := "http", in.Host
	if in.TLS != nil || in.URL.Scheme == "https" {
		proto = "https"
	}
	if g.proxies.TrustsPeer(in) {
		if prior := in.Header.Values("X-Forwarded-For"); len(prior) > 0 {
			peer = strings.Join(prior, ", ") + ", " + peer
		}
		if v := in.Header.Get("X-Forwarded-Proto"); v != "" {
			proto = v
		}
		if v := in.Header.Get("X-Forwarded-Host"); v != "" {
			host = v
		}
	}
	v := []string{peer, proto, host} // one allocation for the three
	out["X-Forwarded-For"] = v[0:1:1]
	out["X-Forwarded-Proto"] = v[1:2:2]
	out["X-Forwarded-Host"] = v[2:3:3]
}

// modifyResponse keeps identity headers and Gatehouse's cookies set by the
// upstream from reaching the client, and the headers the gateway has set
// already (begin) from being sent twice.
func (g *Gateway) modifyResponse(resp *http.Response) error {
	g.headers.cleanResponse(resp.Header)
	for k := range resp.Trailer { // the announced trailers: their values come after the body
		if g.headers.forbiddenTrailer(k) {
			delete(resp.Trailer, k)
		}
	}
	return nil
}

// upstreamError answers a request the upstream did not answer: 504 when it
// took too long, 502 otherwise, as problem+json. A client that went away
// gets nothing.
func (g *Gateway) upstreamError(w http.ResponseWriter, r *http.Request, u *Upstream, err error) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		return
	}
	status, kind, detail := http.StatusBadGateway, "upstream_unavailable", "The upstream could not be reached or did not answer properly."
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		status, kind, detail = http.StatusGatewayTimeout, "upstream_timeout", "The upstream did not answer in time."
	}
	g.log.WarnContext(r.Context(), "upstream failed", "upstream", u.Name, "status", status, "err", err)
	ownHeaders(w.Header())
	problem.WriteDetails(w, r, problem.Details{
		Type: problem.TypeBase + kind, Title: http.StatusText(status), Status: status, Detail: detail,
	})
}
