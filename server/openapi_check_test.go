package server_test

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The structural checks behind openapi_test.go: a JSON pointer resolver
// and a validator for the subset of JSON Schema the description uses. The
// validator refuses any keyword it does not know, so the description can
// only say what these tests check.

// doc is a decoded OpenAPI document.
type doc map[string]any

// resolve returns the value a local reference ("#/components/...") names.
func (d doc) resolve(ref string) (any, error) {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("reference %q is not local", ref)
	}
	var cur any = map[string]any(d)
	for _, tok := range strings.Split(p, "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("reference %q: %q is not in an object", ref, tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("reference %q: no %q", ref, tok)
		}
	}
	return cur, nil
}

// deref follows $ref until it reaches an object without one.
func (d doc) deref(v any) (map[string]any, error) {
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%v is not an object", v)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		var err error
		if v, err = d.resolve(ref); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("reference loop at %v", v)
}

// walk calls fn for every object in v with its JSON pointer.
func walk(v any, at string, fn func(m map[string]any, at string)) {
	switch v := v.(type) {
	case map[string]any:
		fn(v, at)
		for k, c := range v {
			walk(c, at+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k), fn)
		}
	case []any:
		for i, c := range v {
			walk(c, fmt.Sprintf("%s/%d", at, i), fn)
		}
	}
}

// annotations are keywords that say nothing a validator checks.
var annotations = []string{"description", "title", "default", "example", "examples", "deprecated", "readOnly", "writeOnly"}

var keywords = []string{"$ref", "type", "enum", "const", "required", "properties", "additionalProperties",
	"items", "minLength", "maxLength", "minimum", "maximum", "minItems", "pattern", "format"}

// lint reports keywords the validator does not know, object schemas that
// allow unknown members, and malformed keyword values.
func lint(s any, at string) []string {
	m, ok := s.(map[string]any)
	if !ok {
		return []string{at + ": schema is not an object"}
	}
	var errs []string
	for k := range m {
		if !slices.Contains(keywords, k) && !slices.Contains(annotations, k) {
			errs = append(errs, fmt.Sprintf("%s: keyword %q is not checked by the tests", at, k))
		}
	}
	if p, ok := m["pattern"].(string); ok {
		if _, err := regexp.Compile(p); err != nil {
			errs = append(errs, fmt.Sprintf("%s: pattern: %v", at, err))
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		if _, ok := m["additionalProperties"]; !ok {
			errs = append(errs, at+": an object with properties must say whether others are allowed (additionalProperties)")
		}
		for k, p := range props {
			errs = append(errs, lint(p, at+"/properties/"+k)...)
		}
		for _, r := range asSlice(m["required"]) {
			if _, ok := props[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required %q is not a property", at, r))
			}
		}
	}
	if it, ok := m["items"]; ok {
		errs = append(errs, lint(it, at+"/items")...)
	}
	return errs
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// validate checks v against schema and returns what does not fit.
func (d doc) validate(schema any, v any, at string) []string {
	m, ok := schema.(map[string]any)
	if !ok {
		return []string{at + ": schema is not an object"}
	}
	var errs []string
	if ref, ok := m["$ref"].(string); ok {
		target, err := d.resolve(ref)
		if err != nil {
			return []string{at + ": " + err.Error()}
		}
		errs = append(errs, d.validate(target, v, at)...)
	}
	if t, ok := m["type"]; ok && !hasType(t, v) {
		return append(errs, fmt.Sprintf("%s: %s is not of type %v", at, short(v), t))
	}
	if c, ok := m["const"]; ok && c != v {
		errs = append(errs, fmt.Sprintf("%s: %s is not %v", at, short(v), c))
	}
	if e, ok := m["enum"]; ok && !slices.Contains(asSlice(e), v) {
		errs = append(errs, fmt.Sprintf("%s: %s is not one of %v", at, short(v), e))
	}
	switch v := v.(type) {
	case string:
		errs = append(errs, checkString(m, v, at)...)
	case float64:
		errs = append(errs, checkNumber(m, v, at)...)
	case []any:
		errs = append(errs, d.checkArray(m, v, at)...)
	case map[string]any:
		errs = append(errs, d.checkObject(m, v, at)...)
	}
	return errs
}

func hasType(t any, v any) bool {
	if ts, ok := t.([]any); ok {
		return slices.ContainsFunc(ts, func(t any) bool { return hasType(t, v) })
	}
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func checkString(m map[string]any, s, at string) []string {
	var errs []string
	n := float64(utf8.RuneCountInString(s))
	if min, ok := m["minLength"].(float64); ok && n < min {
		errs = append(errs, fmt.Sprintf("%s: %q is shorter than %v", at, s, min))
	}
	if max, ok := m["maxLength"].(float64); ok && n > max {
		errs = append(errs, fmt.Sprintf("%s: %q is longer than %v", at, s, max))
	}
	if p, ok := m["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(s) {
		errs = append(errs, fmt.Sprintf("%s: %q does not match %s", at, s, p))
	}
	switch m["format"] {
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %q is not a date-time", at, s))
		}
	case "uri":
		if u, err := url.Parse(s); err != nil || !u.IsAbs() {
			errs = append(errs, fmt.Sprintf("%s: %q is not an absolute URI", at, s))
		}
	}
	return errs
}

func checkNumber(m map[string]any, f float64, at string) []string {
	var errs []string
	if min, ok := m["minimum"].(float64); ok && f < min {
		errs = append(errs, fmt.Sprintf("%s: %v is below %v", at, f, min))
	}
	if max, ok := m["maximum"].(float64); ok && f > max {
		errs = append(errs, fmt.Sprintf("%s: %v is above %v", at, f, max))
	}
	return errs
}

func (d doc) checkArray(m map[string]any, a []any, at string) []string {
	var errs []string
	if min, ok := m["minItems"].(float64); ok && float64(len(a)) < min {
		errs = append(errs, fmt.Sprintf("%s: fewer than %v items", at, min))
	}
	if it, ok := m["items"]; ok {
		for i, v := range a {
			errs = append(errs, d.validate(it, v, fmt.Sprintf("%s/%d", at, i))...)
		}
	}
	return errs
}

func (d doc) checkObject(m map[string]any, o map[string]any, at string) []string {
	var errs []string
	props, _ := m["properties"].(map[string]any)
	for _, r := range asSlice(m["required"]) {
		if _, ok := o[r.(string)]; !ok {
			errs = append(errs, fmt.Sprintf("%s: %q is required", at, r))
		}
	}
	for k, v := range o {
		if p, ok := props[k]; ok {
			errs = append(errs, d.validate(p, v, at+"/"+k)...)
			continue
		}
		switch ap := m["additionalProperties"].(type) {
		case bool:
			if !ap {
				errs = append(errs, fmt.Sprintf("%s: %q is not in the schema", at, k))
			}
		case map[string]any:
			errs = append(errs, d.validate(ap, v, at+"/"+k)...)
		}
	}
	return errs
}

func short(v any) string {
	s := fmt.Sprintf("%#v", v)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// strict reports objects with properties that allow others, in schema
// and what it refers to: JSON bodies are decoded strictly and encoded from
// fixed types, so their schemas must be closed.
func (d doc) strict(schema any, at string, seen map[string]bool) []string {
	m, ok := schema.(map[string]any)
	if !ok {
		return nil
	}
	var errs []string
	if ref, ok := m["$ref"].(string); ok && !seen[ref] {
		seen[ref] = true
		target, _ := d.resolve(ref)
		errs = append(errs, d.strict(target, ref, seen)...)
	}
	if props, ok := m["properties"].(map[string]any); ok {
		if m["additionalProperties"] != false {
			errs = append(errs, at+": a JSON object schema must say additionalProperties: false")
		}
		for k, p := range props {
			errs = append(errs, d.strict(p, at+"/properties/"+k, seen)...)
		}
	}
	if it, ok := m["items"]; ok {
		errs = append(errs, d.strict(it, at+"/items", seen)...)
	}
	return errs
}
