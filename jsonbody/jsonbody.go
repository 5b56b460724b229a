// Package jsonbody reads JSON request bodies strictly and writes JSON
// responses. Strictly means: the content type must be application/json,
// the body is bounded, and unknown fields, duplicate member names, invalid
// UTF-8 and trailing data are refused. encoding/json accepts the last
// three, and a parser differential between Gatehouse and whatever else
// reads the same body is a known smuggling route.
package jsonbody

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

// MaxDepth is how deeply objects and arrays may nest in a body. Requests
// need a handful of levels; the bound keeps a body of a million "[" from
// costing a deep recursion and seconds of CPU.
const MaxDepth = 32

// Decode reads one JSON value from r's body into v, strictly, reading at
// most limit bytes. Its errors are gatehouse errors: CodeUnsupported for
// another content type, CodeInvalid for everything else, each with a
// message that says what to fix.
func Decode(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return gatehouse.Errorf(gatehouse.CodeUnsupported, "The body must be application/json.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return gatehouse.Errorf(gatehouse.CodeInvalid, "The body is larger than %d bytes.", tooBig.Limit)
		}
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body could not be read.")
	}
	return Strict(body, v)
}

// Strict decodes body into v with the same rules as Decode.
func Strict(body []byte, v any) error {
	if !utf8.Valid(body) {
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body is not valid UTF-8.")
	}
	if err := checkDuplicates(json.NewDecoder(bytes.NewReader(body)), 0); err != nil {
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
// a member twice. encoding/json has no option for this (the last one wins),
// hence this walk.
func checkDuplicates(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body is not valid JSON.")
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth >= MaxDepth { // d opens level depth+1
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body nests deeper than %d levels.", MaxDepth)
	}
	switch d {
	case '{':
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return gatehouse.Errorf(gatehouse.CodeInvalid, "The body is not valid JSON.")
			}
			key, _ := k.(string)
			if seen[key] {
				return gatehouse.Errorf(gatehouse.CodeInvalid, "The body names %q twice.", key)
			}
			seen[key] = true
			if err := checkDuplicates(dec, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := checkDuplicates(dec, depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return gatehouse.Errorf(gatehouse.CodeInvalid, "The body is not valid JSON.")
	}
	return nil
}

// Write writes v as indented JSON with the given status.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the status is sent; a failed write cannot be reported
}
