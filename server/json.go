package server

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/jsonbody"
)

// decode reads a request body strictly (see jsonbody.Decode).
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) error {
	return jsonbody.Decode(w, r, s.maxBody, v)
}

// encode writes v as JSON with the given status.
func (s *Server) encode(w http.ResponseWriter, status int, v any) {
	jsonbody.Write(w, status, v)
}
