package gateway

import (
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// logWriter records what the access log needs about a response.
type logWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	start  time.Time
	rule   *Rule
	who    *gatehouse.Principal // set by authorize: the guard's request is not the one end sees
	// forwarding is set once the request goes to the upstream, whose
	// response keeps its own headers; every other response is the
	// gateway's and gets its security headers.
	forwarding bool
	// informational is set when an upstream's 1xx response was passed on:
	// ReverseProxy then empties the header map, begin's headers included.
	informational bool
	secure        bool      // the request came over TLS: HSTS
	id            [1]string // the Request-Id header's value
	g             *Gateway
}

func (w *logWriter) WriteHeader(code int) {
	switch {
	case code >= 100 && code < 200 && code != http.StatusSwitchingProtocols:
		if w.forwarding {
			// ReverseProxy copies a 1xx's headers (103 Early Hints' Link,
			// but also whatever else the upstream put there) without
			// ModifyResponse: clean them as a final response's.
			w.g.headers.cleanResponse(w.Header())
			w.informational = true
		}
	case w.status == 0:
		w.status = code
		if !w.forwarding {
			ownHeaders(w.Header())
		} else if w.informational {
			w.g.ownForwarded(w.Header(), w)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController (and so ReverseProxy's flushing and
// protocol upgrades) reach the connection's writer.
func (w *logWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// begin gives the request an id (in the response and in the request
// the upstream receives), HSTS (the gateway terminates TLS) and nosniff,
// and starts its log line.
func (g *Gateway) begin(w http.ResponseWriter, r *http.Request) *logWriter {
	lw := &logWriter{ResponseWriter: w, start: g.now(), g: g, secure: r.TLS != nil || r.URL.Scheme == "https"}
	// A request id needs to be unique, not secret: math/rand/v2 spares a
	// system call per request.
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	lw.id[0] = hex.EncodeToString(b[:])
	g.ownForwarded(w.Header(), lw)
	r.Header["Request-Id"] = lw.id[:] // replaces the client's, so that the upstream logs the same id
	return lw
}

// ownForwarded sets the headers that every response carries, a forwarded
// one too: the request id, nosniff (the upstream's is dropped), and HSTS
// when the gateway terminates TLS.
func (g *Gateway) ownForwarded(h http.Header, w *logWriter) {
	h["Request-Id"] = w.id[:]
	h["X-Content-Type-Options"] = g.nosniff
	if w.secure {
		h["Strict-Transport-Security"] = g.hsts
	}
}

// end writes the access log line. Like serve's, it never logs the query
// string or a header value: either may carry a credential.
func (g *Gateway) end(w *logWriter, r *http.Request) {
	if !g.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	status := w.status
	if status == 0 {
		status = 499 // the client went away before a response
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status),
		slog.Int64("bytes", w.bytes), slog.Float64("duration_ms", float64(g.now().Sub(w.start).Microseconds())/1000),
		slog.String("client", g.proxies.ClientAddr(r)), slog.String("request_id", w.id[0]),
	}
	if w.rule != nil {
		attrs = append(attrs, slog.Int("rule_line", w.rule.Line), slog.String("upstream", w.rule.Upstream))
	}
	if p := w.who; p != nil {
		attrs = append(attrs, slog.Int64("user_id", p.UserID), slog.String("auth", string(p.Method)), slog.String("key_id", p.KeyID))
	}
	g.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}
