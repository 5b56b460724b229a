// Package problem writes errors as RFC 9457 problem details
// (application/problem+json). It is the one place where a gatehouse.Code
// becomes an HTTP status.
//
// Internal errors are logged in full and shown to the client as a bare 500:
// no message, stack or secret of an internal error reaches a response.
package problem

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

// ContentType is the media type of a problem response.
const ContentType = "application/problem+json"

// TypeBase prefixes every problem type URI; the code follows it.
const TypeBase = "https://gatehouse.dev/problems/"

// Details is the body of a problem response (RFC 9457 section 3).
type Details struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Error is the RFC 6750 error code for credential failures
	// ("invalid_token", "insufficient_scope", "invalid_request").
	Error string `json:"error,omitempty"`
	// Scope names the scope that was needed, with insufficient_scope.
	Scope string `json:"scope,omitempty"`
	// RequestID ties the response to the server's log line.
	RequestID string `json:"request_id,omitempty"`
}

var statuses = map[gatehouse.Code]int{
	gatehouse.CodeInvalid:         http.StatusBadRequest,
	gatehouse.CodeUnauthenticated: http.StatusUnauthorized,
	gatehouse.CodeForbidden:       http.StatusForbidden,
	gatehouse.CodeNotFound:        http.StatusNotFound,
	gatehouse.CodeConflict:        http.StatusConflict,
	gatehouse.CodeTooMany:         http.StatusTooManyRequests,
	gatehouse.CodeUnsupported:     http.StatusUnsupportedMediaType,
	gatehouse.CodeUnavailable:     http.StatusServiceUnavailable,
	gatehouse.CodeInternal:        http.StatusInternalServerError,
}

// Status returns the HTTP status for err's code.
func Status(err error) int {
	if s, ok := statuses[gatehouse.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// New returns the problem details for err, without the request-specific
// fields. An internal error gets only its status and title.
func New(err error) Details {
	code := gatehouse.ErrorCode(err)
	status := Status(err)
	d := Details{Type: TypeBase + string(code), Title: http.StatusText(status), Status: status}
	if code != gatehouse.CodeInternal && code != gatehouse.CodeUnavailable {
		d.Detail = gatehouse.ErrorMessage(err)
	}
	return d
}

// Write writes err as a problem response. Internal and unavailable errors
// are logged with log (when not nil) at error level, with the whole chain.
func Write(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	d := New(err)
	if (d.Status >= 500) && log != nil {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", LogPath(r.URL.Path), "err", err)
	}
	WriteDetails(w, r, d)
}

// LogPath returns p for a log line, or a placeholder when p holds what
// may be an API key (someone pasted a key where an id belongs): logs must
// never hold a secret.
func LogPath(p string) string {
	if strings.Contains(p, apikey.Prefix) {
		return "(a path holding a key, not logged)"
	}
	return p
}

// WriteDetails writes d as the response, filling in the instance and the
// request id (from the response's Request-Id header) when they are empty.
func WriteDetails(w http.ResponseWriter, r *http.Request, d Details) {
	if d.Instance == "" && r != nil {
		d.Instance = r.URL.Path
	}
	if d.RequestID == "" {
		d.RequestID = w.Header().Get("Request-Id")
	}
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(d.Status)
	_ = json.NewEncoder(w).Encode(d) // the status is sent; a write error cannot be reported
}
