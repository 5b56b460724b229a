package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"mime"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
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

// caller is an entry of x-gatehouse-example-callers.
type caller struct {
	User        string   `json:"user"`
	Role        string   `json:"role"`
	Scopes      []string `json:"scopes"`
	ExpiresIn   string   `json:"expires_in"`
	Description string   `json:"description"`
}

func roleOf(s string) gatehouse.Role { return gatehouse.Role(s) }

// world is a server with the users, posts and keys the examples assume.
type world struct {
	h       *harness
	secrets map[string]string // caller name -> key
	vars    map[string]string // fixture name -> id
}

// fixtureUsers are the people of the examples, with their roles.
var fixtureUsers = map[string]string{"alice": "author", "bob": "author", "erin": "editor", "rita": "reader"}

// newWorld makes a server with the fixture users and, to keep each
// example's set-up small, only the posts, keys and callers it may use:
// posts for the posts routes, keys for the keys routes, and its caller.
// all asks for everything.
func newWorld(t *testing.T, d doc, path, callerName string, all bool) *world {
	t.Helper()
	h := newHarness(t)
	w := &world{h: h, secrets: map[string]string{}, vars: map[string]string{}}
	users := map[string]*gatehouse.User{}
	for _, name := range slices.Sorted(maps.Keys(fixtureUsers)) {
		users[name] = h.user(name, roleOf(fixtureUsers[name]))
	}
	if all || strings.Contains(path, "/posts") {
		w.posts(t, users)
	}
	if all || strings.Contains(path, "/keys") {
		w.keys(t, users)
	}
	for name, c := range callersOf(t, d) {
		if !all && name != callerName {
			continue
		}
		u := users[c.User]
		if u == nil || string(u.Role) != c.Role {
			t.Fatalf("caller %s: user %q with role %q is not one of %v", name, c.User, c.Role, fixtureUsers)
		}
		created, err := h.keys.Create(context.Background(), keyring.Actor{}, u.ID,
			keyring.CreateRequest{Label: name, Scopes: c.Scopes, ExpiresIn: c.ExpiresIn})
		if err != nil {
			t.Fatalf("caller %s: %v", name, err)
		}
		w.secrets[name] = created.Secret
	}
	return w
}

// TestOpenAPIExampleWorld checks that the fixtures and callers the
// description promises are the ones the example tests make.
func TestOpenAPIExampleWorld(t *testing.T) {
	d := loadDoc(t)
	w := newWorld(t, d, "", "", true)
	described, _ := d["x-gatehouse-example-fixtures"].(map[string]any)
	if got, want := slices.Sorted(maps.Keys(w.vars)), slices.Sorted(maps.Keys(described)); !slices.Equal(got, want) {
		t.Errorf("the test makes fixtures %v, the description names %v", got, want)
	}
	if got, want := slices.Sorted(maps.Keys(w.secrets)), slices.Sorted(maps.Keys(callersOf(t, d))); !slices.Equal(got, want) {
		t.Errorf("the test makes callers %v, the description names %v", got, want)
	}
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

// posts writes the posts of x-gatehouse-example-fixtures through the API.
func (w *world) posts(t *testing.T, users map[string]*gatehouse.User) {
	t.Helper()
	rw := map[string][]string{}
	for _, name := range []string{"alice", "bob", "erin"} {
		secret, _ := w.h.key(users[name], "fixtures", "read", "write")
		rw[name] = auth(secret)
	}
	create := func(who, title, body string) string {
		in, _ := json.Marshal(map[string]string{"title": title, "body": body})
		r := w.h.do("POST", "/api/posts", string(in), rw[who]...)
		var p struct{ ID int64 }
		r.json(t, &p)
		if r.status != 201 {
			t.Fatalf("fixture post %q: %d %s", title, r.status, r.body)
		}
		return strconv.FormatInt(p.ID, 10)
	}
	w.vars["draft"] = create("alice", "Draft notes", "Not *yet*.")
	w.vars["published"] = create("alice", "Hello, world", "The first post.")
	if r := w.h.do("POST", "/api/posts/"+w.vars["published"]+"/publish", "", rw["erin"]...); r.status != 200 {
		t.Fatalf("publish fixture: %d %s", r.status, r.body)
	}
	w.vars["bob_draft"] = create("bob", "Bob's draft", "Mine.")
}

// keys makes the keys of x-gatehouse-example-fixtures.
func (w *world) keys(t *testing.T, users map[string]*gatehouse.User) {
	t.Helper()
	_, k := w.h.key(users["alice"], "deploy", "read")
	w.vars["key"] = k.ID
	_, old := w.h.key(users["alice"], "old", "read")
	if _, err := w.h.keys.Revoke(context.Background(), keyring.Actor{}, users["alice"].ID, old.ID); err != nil {
		t.Fatal(err)
	}
	w.vars["revoked_key"] = old.ID
	_, b := w.h.key(users["bob"], "bob-ci", "read")
	w.vars["bob_key"] = b.ID
}

var fixtureRef = regexp.MustCompile(`\{([a-z_]+)\}`)

// credential returns the Authorization header for a key in the n-th of
// the three accepted forms, so the examples exercise all of them.
func credential(secret string, n int) []string {
	switch n % 3 {
	case 1:
		return []string{"Authorization", "Bearer " + secret}
	case 2:
		return []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("apikey:"+secret))}
	}
	return auth(secret)
}

// request returns the path, body and headers of e against w.
func (w *world) request(t *testing.T, d doc, o operation, e example, n int) (string, string, []string) {
	t.Helper()
	path := fixtureRef.ReplaceAllStringFunc(e.Path, func(m string) string {
		v, ok := w.vars[m[1:len(m)-1]]
		if !ok {
			t.Fatalf("path %s: no fixture %s", e.Path, m)
		}
		return v
	})
	body := e.RawBody
	if e.Body != "" {
		ex, ok := bodyExamples(d, o)[e.Body]
		if !ok {
			t.Fatalf("no request example %q", e.Body)
		}
		em, err := d.deref(ex)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(em["value"])
		body = string(b)
	}
	var hdr []string
	if e.Caller != "" {
		secret, ok := w.secrets[e.Caller]
		if !ok {
			t.Fatalf("unknown caller %q", e.Caller)
		}
		hdr = credential(secret, n)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
		hdr = append(hdr, k, e.Headers[k])
	}
	return path, body, hdr
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
				w := newWorld(t, d, o.path, e.Caller, false)
				path, body, hdr := w.request(t, d, o, e, n)
				r := w.h.do(strings.ToUpper(o.method), path, body, hdr...)
				if r.status != e.Status {
					t.Fatalf("%s %s: %d %s, the description says %d", o.method, path, r.status, r.body, e.Status)
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
	var body any
	if err := json.Unmarshal(r.body, &body); err != nil {
		return append(errs, fmt.Sprintf("body %q: %v", r.body, err))
	}
	if m, ok := body.(map[string]any); ok && mt == "application/problem+json" && m["status"] != float64(r.status) {
		errs = append(errs, fmt.Sprintf("problem status %v in a %d response", m["status"], r.status))
	}
	return append(errs, d.validate(media["schema"], body, "body")...)
}
