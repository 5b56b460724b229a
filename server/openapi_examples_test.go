package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/keyring"
)

// example is one entry of an operation's x-gatehouse-examples: a request
// and the status it must get.
type example struct {
	Summary string `json:"summary"`
	// Caller names one of x-gatehouse-example-callers; empty is anonymous.
	Caller string `json:"caller"`
	// Path may hold {fixture} names from x-gatehouse-example-fixtures.
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
	// Body names an example of the operation's JSON request body; RawBody
	// is sent as it is instead (for bodies that must be refused).
	Body    string `json:"body"`
	RawBody string `json:"rawBody"`
	Status  int    `json:"status"`
	// ResponseHeaders must be present in the response, beyond those the
	// described response requires.
	ResponseHeaders []string `json:"responseHeaders"`
}

// examplesOf decodes an operation's examples strictly, so a misspelt
// field fails rather than being ignored.
func examplesOf(o operation) ([]example, error) {
	b, err := json.Marshal(o.op["x-gatehouse-examples"])
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var exs []example
	if err := dec.Decode(&exs); err != nil {
		return nil, fmt.Errorf("x-gatehouse-examples: %w", err)
	}
	return exs, nil
}

// caller is an entry of x-gatehouse-example-callers: a key with scopes,
// or a browser session.
type caller struct {
	User        string   `json:"user"`
	Role        string   `json:"role"`
	Scopes      []string `json:"scopes"`
	ExpiresIn   string   `json:"expires_in"`
	Session     bool     `json:"session"`
	Description string   `json:"description"`
}

func callersOf(t *testing.T, d doc) map[string]caller {
	t.Helper()
	b, _ := json.Marshal(d["x-gatehouse-example-callers"])
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var cs map[string]caller
	if err := dec.Decode(&cs); err != nil || len(cs) == 0 {
		t.Fatalf("x-gatehouse-example-callers: %v", err)
	}
	return cs
}

// credentials returns the headers that make a request the caller's. Keys
// take the n-th of the three accepted forms, so that the examples use all
// of them; sessions send their cookie, and say where an unsafe request
// comes from, as browsers do.
func (w *world) credentials(name string, c caller, method string, n int) []string {
	t := w.t
	u := w.users[c.User]
	if u == nil || string(u.Role) != c.Role {
		t.Fatalf("caller %s: user %q with role %q is not one of %v", name, c.User, c.Role, fixtureUsers)
	}
	if c.Session {
		_, cookie := w.startSession(u)
		hdr := []string{"Cookie", cookie}
		if method != "GET" && method != "HEAD" {
			hdr = append(hdr, "Origin", w.h.url, "Sec-Fetch-Site", "same-origin")
		}
		return hdr
	}
	created, err := w.h.keys.Create(context.Background(), keyring.Actor{}, u.ID,
		keyring.CreateRequest{Label: name, Scopes: c.Scopes, ExpiresIn: c.ExpiresIn})
	if err != nil {
		t.Fatalf("caller %s: %v", name, err)
	}
	switch n % 3 {
	case 1:
		return []string{"Authorization", "Bearer " + created.Secret}
	case 2:
		return []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("apikey:"+created.Secret))}
	}
	return auth(created.Secret)
}

// TestOpenAPIExampleWorld checks that the fixtures the description
// promises are the ones the example tests make, and that every caller can
// be made.
func TestOpenAPIExampleWorld(t *testing.T) {
	d := loadDoc(t)
	w := newWorld(t, true)
	w.fixtures("", true)
	described, _ := d["x-gatehouse-example-fixtures"].(map[string]any)
	if got, want := slices.Sorted(maps.Keys(w.vars)), slices.Sorted(maps.Keys(described)); !slices.Equal(got, want) {
		t.Errorf("the test makes fixtures %v, the description names %v", got, want)
	}
	for name, c := range callersOf(t, d) {
		if hdr := w.credentials(name, c, "POST", 0); len(hdr) < 2 {
			t.Errorf("caller %s: no credentials", name)
		}
	}
}

var fixtureRef = regexp.MustCompile(`\{([a-z_]+)\}`)

// expand replaces {fixture} names in s.
func (w *world) expand(s string) string {
	return fixtureRef.ReplaceAllStringFunc(s, func(m string) string {
		v, ok := w.vars[m[1:len(m)-1]]
		if !ok {
			w.t.Fatalf("%s: no fixture %s", s, m)
		}
		return v
	})
}

// request makes the fixtures e names and returns its path, body and
// headers in w.
func (w *world) request(d doc, o operation, e example, n int) (string, string, []string) {
	t := w.t
	var value any
	var ctype string
	if e.Body != "" {
		ex, mt, ok := bodyExample(d, o, e.Body)
		if !ok {
			t.Fatalf("no request example %q", e.Body)
		}
		value, ctype = ex, mt
	}
	named, _ := json.Marshal(value)
	w.fixtures(e.mentions()+string(named), false)
	body := w.expand(e.RawBody)
	switch ctype {
	case "application/json":
		b, _ := json.Marshal(value)
		body = w.expand(string(b))
	case "application/x-www-form-urlencoded":
		body = w.form(value)
	}
	var hdr []string
	if e.Caller != "" {
		c, ok := callersOf(t, d)[e.Caller]
		if !ok {
			t.Fatalf("unknown caller %q", e.Caller)
		}
		cred := w.credentials(e.Caller, c, strings.ToUpper(o.method), n)
		for i := 0; i+1 < len(cred); i += 2 {
			// An example may say where a browser's request comes from;
			// any other header it names is sent besides the caller's.
			_, over := e.Headers[cred[i]]
			if !over || cred[i] != "Origin" && cred[i] != "Sec-Fetch-Site" {
				hdr = append(hdr, cred[i], cred[i+1])
			}
		}
	}
	if _, ok := e.Headers["Content-Type"]; !ok && ctype != "" {
		hdr = append(hdr, "Content-Type", ctype)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
		hdr = append(hdr, k, w.expand(e.Headers[k]))
	}
	return w.expand(e.Path), body, hdr
}

// form encodes an example's value as a form: a list is one field per item.
func (w *world) form(value any) string {
	m, _ := value.(map[string]any)
	f := url.Values{}
	for k, v := range m {
		switch v := v.(type) {
		case []any:
			for _, item := range v {
				f.Add(k, w.expand(fmt.Sprint(item)))
			}
		default:
			f.Set(k, w.expand(fmt.Sprint(v)))
		}
	}
	return f.Encode()
}

// mentions is the text of e in which fixtures may be named.
func (e example) mentions() string {
	var b strings.Builder
	b.WriteString(e.Path + " " + e.RawBody)
	for _, v := range e.Headers {
		b.WriteString(" " + v)
	}
	return b.String()
}

func TestOpenAPIExamples(t *testing.T) {
	d := loadDoc(t)
	n := 0
	for _, o := range operations(d) {
		exs, err := examplesOf(o)
		if err != nil {
			t.Fatalf("%s: %v", o, err)
		}
		for _, e := range exs {
			n++
			n := n
			t.Run(o.String()+"/"+e.Summary, func(t *testing.T) {
				t.Parallel()
				w := newWorld(t, strings.HasPrefix(o.path, "/auth/"))
				// Lists list something, and "a label in use" is in use.
				if strings.Contains(o.path, "posts") {
					w.fixtures("{draft}", false)
				}
				if strings.Contains(o.path, "keys") {
					w.fixtures("{key}", false)
				}
				path, body, hdr := w.request(d, o, e, n)
				r := w.h.do(strings.ToUpper(o.method), path, body, hdr...)
				if r.status != e.Status {
					t.Fatalf("%s %s: %d %s, the description says %d", o.method, path, r.status, short(string(r.body)), e.Status)
				}
				for _, err := range checkReply(d, o, e, r) {
					t.Error(err)
				}
			})
		}
	}
}

// checkReply checks r against the described response for its status: the
// required headers, the content type, and the body's schema.
func checkReply(d doc, o operation, e example, r reply) []string {
	rs, _ := o.op["responses"].(map[string]any)
	resp, err := d.deref(rs[strconv.Itoa(r.status)])
	if err != nil {
		return []string{fmt.Sprintf("status %d is not described: %v", r.status, err)}
	}
	var errs []string
	hs, _ := resp["headers"].(map[string]any)
	for name, h := range hs {
		hm, _ := d.deref(h)
		if hm["required"] == true && r.header.Get(name) == "" {
			errs = append(errs, fmt.Sprintf("header %s is missing", name))
		}
	}
	for _, name := range e.ResponseHeaders {
		if r.header.Get(name) == "" {
			errs = append(errs, fmt.Sprintf("header %s is missing", name))
		}
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 && r.status/100 == 3 {
		return errs // net/http writes a line of HTML with a redirect
	}
	if len(content) == 0 {
		if len(r.body) != 0 {
			errs = append(errs, fmt.Sprintf("the description has no body, the reply has %q", r.body))
		}
		return errs
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	media, ok := content[mt].(map[string]any)
	if !ok {
		return append(errs, fmt.Sprintf("content type %q is not described (%v)", mt, slices.Sorted(maps.Keys(content))))
	}
	if mt != "application/json" && mt != "application/problem+json" {
		return errs // a page or an asset: the content type is what is described
	}
	var body any
	if err := json.Unmarshal(r.body, &body); err != nil {
		return append(errs, fmt.Sprintf("body %q: %v", r.body, err))
	}
	if m, ok := body.(map[string]any); ok && mt == "application/problem+json" && m["status"] != float64(r.status) {
		errs = append(errs, fmt.Sprintf("problem status %v in a %d response", m["status"], r.status))
	}
	return append(errs, d.validate(media["schema"], body, "body")...)
}
