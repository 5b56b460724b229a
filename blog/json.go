package blog

import (
	"net/http"

	"github.com/gatehouse-dev/gatehouse/jsonbody"
)

// maxRequest bounds a request body. It leaves room for a MaxBody post
// whose characters are all written as JSON escapes; the body field itself
// is checked against MaxBody after decoding.
const maxRequest = 8*MaxBody + 4096

// decode reads one JSON object from the body into v, strictly (see
// jsonbody.Decode).
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return jsonbody.Decode(w, r, maxRequest, v)
}

// encode writes v as JSON with the given status.
func encode(w http.ResponseWriter, status int, v any) {
	jsonbody.Write(w, status, v)
}
