package server

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// problemMux answers the mux's own 404 and 405 responses, which are plain
// text, with problem+json (405 keeps its Allow header).
func (s *Server) problemMux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" || r.Method == http.MethodConnect {
			h.ServeHTTP(w, r)
			return
		}
		// No pattern matched: h is the mux's 404, 405 or path-cleaning
		// redirect. Let it decide the status and headers, keep its body out.
		cw := &captureWriter{header: http.Header{}}
		h.ServeHTTP(cw, r)
		switch cw.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", cw.header.Get("Allow"))
			problem.WriteDetails(w, r, problem.Details{
				Type: problem.TypeBase + "method_not_allowed", Title: http.StatusText(405), Status: 405,
				Detail: "The method is not allowed here; see the Allow header.",
			})
		case http.StatusNotFound:
			s.notFound(w, r)
		default: // redirects to the cleaned path
			for k, v := range cw.header {
				w.Header()[k] = v
			}
			w.WriteHeader(cw.status)
		}
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
