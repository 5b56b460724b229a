package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// middleware wraps h in what every response needs, outermost first: a
// request id, the access log, panic recovery, security headers, and the
// strict path check.
func (s *Server) middleware(h http.Handler) http.Handler {
	return s.requestID(s.accessLog(s.recover(securityHeaders(strictPath(h)))))
}

// newRequestID returns 16 random hex characters.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// requestID gives every request an id, returned in the Request-Id header
// and written in the access log line and in problem responses.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Request-Id", newRequestID())
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status and size of a response for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog writes one line per request. It never logs the query string or
// any header value: either may carry a credential.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		attrs := []any{
			"method", r.Method, "path", problem.LogPath(r.URL.Path), "status", sw.status, "bytes", sw.bytes,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"client", s.proxies.ClientAddr(r), "request_id", w.Header().Get("Request-Id"),
		}
		if p, ok := gatehouse.PrincipalFrom(r.Context()); ok {
			attrs = append(attrs, "user_id", p.UserID, "auth", string(p.Method), "key_id", p.KeyID)
		}
		s.log.InfoContext(r.Context(), "request", attrs...)
	})
}

// recover turns a panic in a handler into a logged 500.
func (s *Server) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				problem.Write(w, r, s.log, fmt.Errorf("server: panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// HSTS is the Strict-Transport-Security value: two years, subdomains too.
const HSTS = "max-age=63072000; includeSubDomains"

// securityHeaders sets the headers every response carries. Responses are
// not cacheable unless a handler says otherwise; HSTS is sent on HTTPS.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if isHTTPS(r) {
			h.Set("Strict-Transport-Security", HSTS)
		}
		next.ServeHTTP(w, r)
	})
}

// isHTTPS reports whether the client reached us over TLS: directly, or
// through a trusted proxy that said so (see Proxies.Middleware).
func isHTTPS(r *http.Request) bool {
	return r.TLS != nil || r.URL.Scheme == "https"
}

// strictPath refuses paths whose escaped form hides a separator, a dot
// segment, a backslash, a parameter or a control character: "%2f", "%2e",
// "%5c", ";", "%00". The router matches on the escaped path while handlers
// see the decoded one, so such paths are refused (400), never "fixed".
func strictPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if msg := pathProblem(r.URL.EscapedPath()); msg != "" {
			problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeInvalid, "%s", msg))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func pathProblem(p string) string {
	lower := strings.ToLower(p)
	for _, bad := range []string{"%2f", "%2e", "%5c", "%00", "%3b", "%23", "%3f"} {
		if strings.Contains(lower, bad) {
			return "The path contains an encoded separator, dot, backslash or control character."
		}
	}
	if strings.ContainsAny(p, ";\\") {
		return "The path contains ';' or '\\'."
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return "The path contains a control character."
		}
	}
	return ""
}
