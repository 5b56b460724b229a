package jsonbody_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/jsonbody"
)

type req struct {
	Label  string         `json:"label"`
	Nested map[string]any `json:"nested,omitempty"`
	List   []any          `json:"list,omitempty"`
}

// TestStrictRefusesWhatEncodingJSONAccepts: duplicates, trailing data and
// invalid UTF-8 all pass json.Unmarshal or Decoder.Decode unremarked.
func TestStrictRefusesWhatEncodingJSONAccepts(t *testing.T) {
	tests := []struct{ name, body string }{
		{"duplicate name", `{"label":"a","label":"b"}`},
		{"duplicate nested", `{"label":"a","nested":{"x":1,"x":2}}`},
		{"duplicate in array", `{"label":"a","list":[{"x":1,"x":2}]}`},
		{"trailing value", `{"label":"a"} {"label":"b"}`},
		{"trailing garbage", `{"label":"a"}x`},
		{"invalid utf-8", "{\"label\":\"\xff\"}"},
		{"unknown field", `{"label":"a","admin":true}`},
	}
	for _, tt := range tests {
		var v req
		err := jsonbody.Strict([]byte(tt.body), &v)
		if gatehouse.ErrorCode(err) != gatehouse.CodeInvalid {
			t.Errorf("%s: %v, want CodeInvalid", tt.name, err)
		}
	}
	var v req
	if err := jsonbody.Strict([]byte(` {"label":"ok","nested":{"a":{"b":[1,{"c":2}]}},"list":[1,"x"]} `), &v); err != nil || v.Label != "ok" {
		t.Errorf("valid body refused: %v", err)
	}
}

func TestDecodeContentTypeAndLimit(t *testing.T) {
	var v req
	r := httptest.NewRequest("POST", "/", strings.NewReader(`{"label":"a"}`))
	r.Header.Set("Content-Type", "text/plain")
	if err := jsonbody.Decode(httptest.NewRecorder(), r, 100, &v); gatehouse.ErrorCode(err) != gatehouse.CodeUnsupported {
		t.Errorf("text/plain: %v", err)
	}
	r = httptest.NewRequest("POST", "/", strings.NewReader(`{"label":"`+strings.Repeat("a", 200)+`"}`))
	r.Header.Set("Content-Type", "application/json; charset=utf-8")
	if err := jsonbody.Decode(httptest.NewRecorder(), r, 100, &v); err == nil || !strings.Contains(err.Error(), "larger than 100") {
		t.Errorf("oversized: %v", err)
	}
}

// FuzzStrict: Strict never panics, and what it accepts is valid JSON
// without duplicate names.
func FuzzStrict(f *testing.F) {
	for _, s := range []string{`{"label":"a"}`, `{"a":1,"a":2}`, `[{"x":[]}]`, `{"label":"a"} 1`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v any
		if err := jsonbody.Strict(body, &v); err == nil && !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
	})
}

// TestDeepNestingRefused: a body of nested brackets is refused at
// MaxDepth, cheaply, whatever its size.
func TestDeepNestingRefused(t *testing.T) {
	var v any
	ok := strings.Repeat("[", jsonbody.MaxDepth) + strings.Repeat("]", jsonbody.MaxDepth)
	if err := jsonbody.Strict([]byte(ok), &v); err != nil {
		t.Errorf("depth %d refused: %v", jsonbody.MaxDepth, err)
	}
	for _, body := range []string{
		strings.Repeat("[", jsonbody.MaxDepth+1) + strings.Repeat("]", jsonbody.MaxDepth+1),
		strings.Repeat(`{"a":`, 1<<20),
		strings.Repeat("[", 1<<20),
	} {
		if err := jsonbody.Strict([]byte(body), &v); err == nil || !strings.Contains(err.Error(), "nests deeper") {
			t.Errorf("%d bytes of nesting: %v", len(body), err)
		}
	}
}
