package blog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse"
)

// maxRequest bounds a request body. It leaves room for a MaxBody post
// whose characters are all written as JSON escapes; the body field itself
// is checked against MaxBody after decoding.
const maxRequest = 8*MaxBody + 4096

// decode reads one JSON object from the body into v, strictly, as the
// server package does: the content type must be JSON; the body is bounded;
// unknown fields, duplicate names, invalid UTF-8 and trailing data are
// refused. encoding/json accepts the last three, and parser differentials
// are a smuggling route.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return gatehouse.Errorf(gatehouse.CodeUnsupported, "The body must be application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequest))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return gatehouse.Errorf(gatehouse.CodeInvalid, "The body is larger than %d bytes.", tooBig.Limit)
		}
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body could not be read.")
	}
	return decodeStrict(body, v)
}

func decodeStrict(body []byte, v any) error {
	if !utf8.Valid(body) {
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body is not valid UTF-8.")
	}
	if err := checkDuplicates(json.NewDecoder(bytes.NewReader(body))); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body is not valid: %s.", jsonMessage(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body has data after the JSON value.")
	}
	return nil
}

func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q has the wrong type (want %s)", te.Field, te.Type)
	}
	return err.Error()
}

// checkDuplicates walks the token stream and refuses an object that names
// a member twice (encoding/json keeps the last one silently).
func checkDuplicates(dec *json.Decoder) error {
	invalid := gatehouse.Errorf(gatehouse.CodeInvalid, "The body is not valid JSON.")
	tok, err := dec.Token()
	if err != nil {
		return invalid
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	seen := map[string]bool{}
	for dec.More() {
		if d == '{' {
			k, err := dec.Token()
			if err != nil {
				return invalid
			}
			key, _ := k.(string)
			if seen[key] {
				return gatehouse.Errorf(gatehouse.CodeInvalid, "The body names %q twice.", key)
			}
			seen[key] = true
		}
		if err := checkDuplicates(dec); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return invalid
	}
	return nil
}

// encode writes v as JSON with the given status.
func encode(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the status is sent; a failed write cannot be reported
}
