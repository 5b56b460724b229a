package server

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// problemMux answers the mux's own 404 and 405 responses, which are plain
// text, with problem+json (405 keeps its Allow header).
func (s *Server) problemMux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			problem.WriteDetails(w, r, problem.Details{
				Type: problem.TypeBase + "method_not_allowed", Title: http.StatusText(http.StatusMethodNotAllowed), Status: http.StatusMethodNotAllowed,
				Detail: "CONNECT is not served here.",
			})
			return
		}
		if c := cleanPath(r.URL.Path); c != r.URL.Path {
			// Every unclean path is redirected, routed or not, so that a
			// redirect does not tell an anonymous caller that a route exists.
			u := url.URL{Path: c, RawQuery: r.URL.RawQuery}
			http.Redirect(w, r, u.String(), http.StatusPermanentRedirect)
			return
		}
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r) // sets the path values the handlers read
			return
		}
		h := s.noRoute(mux)
		if strings.HasPrefix(r.URL.Path, "/api/") {
			// Anonymous callers cannot tell missing API routes from real
			// ones: both answer 401 until they authenticate.
			h = s.guard.RequireAuth(h)
		}
		h.ServeHTTP(w, r)
	})
}

// cleanPath is the path the router would redirect p to: without "//",
// "." and ".." segments, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// noRoute answers a request no pattern matched. The mux decides whether it
// is a 404 or a 405 (and the Allow header); the body is problem+json.
func (s *Server) noRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, _ := mux.Handler(r)
		cw := &captureWriter{header: http.Header{}}
		h.ServeHTTP(cw, r)
		if cw.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", cw.header.Get("Allow"))
			problem.WriteDetails(w, r, problem.Details{
				Type: problem.TypeBase + "method_not_allowed", Title: http.StatusText(http.StatusMethodNotAllowed), Status: http.StatusMethodNotAllowed,
				Detail: "The method is not allowed here; see the Allow header.",
			})
			return
		}
		s.notFound(w, r)
	})
}

// notFound answers 404 problem+json.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	problem.Write(w, r, s.log, gatehouse.Errorf(gatehouse.CodeNotFound, "There is nothing at this path."))
}

// captureWriter records what the mux's internal handlers write.
type captureWriter struct {
	header http.Header
	status int
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return len(b), nil
}
func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}
