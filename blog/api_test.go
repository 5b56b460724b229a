package blog_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
)

// fixture is a TLS server over the blog API with four users and three
// posts: P1 published by the editor, P2 published by author A, P3 a draft
// by author A.
type fixture struct {
	srv        *httptest.Server
	store      store
	P1, P2, P3 *blog.Post
}

// newFixtureOn wires the API's routes over the store s as server/routes.go
// does, minus the guard: a test middleware puts the principal named by
// X-Test-User in the context with gatehouse.NewContext. The real guard and
// its scope checks are tested in their own packages; here the policy alone
// decides.
func newFixtureOn(t *testing.T, s store) *fixture {
	who := map[string]*gatehouse.Principal{}
	var ids = map[string]int64{}
	for name, role := range map[string]gatehouse.Role{"editor": gatehouse.RoleEditor, "a": gatehouse.RoleAuthor, "b": gatehouse.RoleAuthor, "reader": gatehouse.RoleReader} {
		u, p := mustUser(t, s, role)
		who[name], ids[name] = p, u.ID
	}
	f := &fixture{store: s}
	f.P1 = mustPost(t, s, ids["editor"], blog.Published, "Welcome")
	f.P2 = mustPost(t, s, ids["a"], blog.Published, "A's post")
	f.P3 = mustPost(t, s, ids["a"], blog.Draft, "A's draft")
	api := blog.NewAPI(newService(t, s, blog.Config{}), nil)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /public/posts", api.PublicList)
	mux.HandleFunc("GET /public/posts/{id}", api.PublicGet)
	mux.HandleFunc("GET /api/posts", api.List)
	mux.HandleFunc("POST /api/posts", api.Create)
	mux.HandleFunc("GET /api/posts/{id}", api.Get)
	mux.HandleFunc("PATCH /api/posts/{id}", api.Update)
	mux.HandleFunc("DELETE /api/posts/{id}", api.Delete)
	mux.HandleFunc("POST /api/posts/{id}/publish", api.Publish)
	f.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := who[r.Header.Get("X-Test-User")]; ok {
			r = r.WithContext(gatehouse.NewContext(r.Context(), p))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// call is one request: who ("" for anonymous), method, path, body, and
// extra headers as "Name: value". A body is sent as application/json
// unless a Content-Type header is given.
type call struct {
	who, method, path, body string
	headers                 []string
}

// do sends c and returns the status, the headers and the body.
func (f *fixture) do(t *testing.T, c call) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), c.method, f.srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range c.headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	if c.who != "" {
		req.Header.Set("X-Test-User", c.who)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func path(p *blog.Post, suffix ...string) string {
	return fmt.Sprintf("/api/posts/%d%s", p.ID, strings.Join(suffix, ""))
}

func publicPath(p *blog.Post) string { return fmt.Sprintf("/public/posts/%d", p.ID) }

// TestAPIReads: a denied read of an existing post is 404, like a missing
// one; public routes answer as for anonymous callers, whoever calls.
func TestAPIReads(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testAPIReads(t, newFixtureOn(t, b.open(t))) })
	}
}

func testAPIReads(t *testing.T, f *fixture) {
	tests := []struct {
		name string
		c    call
		want int
	}{
		{"anonymous reads a published post", call{"", "GET", publicPath(f.P1), "", nil}, 200},
		{"anonymous cannot see a draft", call{"", "GET", publicPath(f.P3), "", nil}, 404},
		{"the editor gets no draft on the public route", call{"editor", "GET", publicPath(f.P3), "", nil}, 404},
		{"another author cannot see a draft", call{"b", "GET", path(f.P3), "", nil}, 404},
		{"a reader cannot see a draft", call{"reader", "GET", path(f.P3), "", nil}, 404},
		{"the author reads their draft", call{"a", "GET", path(f.P3), "", nil}, 200},
		{"the editor reads any draft", call{"editor", "GET", path(f.P3), "", nil}, 200},
		{"a reader reads a published post", call{"reader", "GET", path(f.P2), "", nil}, 200},
		{"a missing post", call{"editor", "GET", "/api/posts/999", "", nil}, 404},
		{"no principal on /api/", call{"", "GET", path(f.P1), "", nil}, 401},
		{"no principal on the /api/ list", call{"", "GET", "/api/posts", "", nil}, 401},
		{"id with a leading zero", call{"editor", "GET", "/api/posts/0" + fmt.Sprint(f.P1.ID), "", nil}, 404},
		{"id with a sign", call{"editor", "GET", "/api/posts/+1", "", nil}, 404},
		{"id not a number", call{"editor", "GET", "/api/posts/abc", "", nil}, 404},
		{"id out of range", call{"editor", "GET", "/api/posts/99999999999999999999", "", nil}, 404},
		{"id zero", call{"editor", "GET", "/api/posts/0", "", nil}, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := f.do(t, tt.c)
			if status != tt.want {
				t.Fatalf("status %d, want %d: %s", status, tt.want, body)
			}
			if status >= 400 && h.Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type %q, want problem+json", h.Get("Content-Type"))
			}
			if status == 200 && h.Get("ETag") == "" {
				t.Error("no ETag")
			}
		})
	}
}

// TestAPIWrites runs a story in order: the status of each step depends on
// the ones before (versions start at 1 and grow with every change).
func TestAPIWrites(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testAPIWrites(t, newFixtureOn(t, b.open(t))) })
	}
}

func testAPIWrites(t *testing.T, f *fixture) {
	steps := []struct {
		name string
		c    call
		want int
	}{
		{"an author edits another's visible post: 403", call{"a", "PATCH", path(f.P1), `{"title":"Mine now"}`, nil}, 403},
		{"an author edits another's draft: 404", call{"b", "PATCH", path(f.P3), `{"title":"Mine now"}`, nil}, 404},
		{"a reader edits: 403", call{"reader", "PATCH", path(f.P2), `{"title":"x"}`, nil}, 403},
		{"stale If-Match: 412", call{"a", "PATCH", path(f.P2), `{"title":"x"}`, []string{`If-Match: "v2"`}}, 412},
		{"current If-Match", call{"a", "PATCH", path(f.P2), `{"title":"Edited"}`, []string{`If-Match: "v1"`}}, 200},
		{"weak If-Match never matches", call{"a", "PATCH", path(f.P2), `{"title":"x"}`, []string{`If-Match: W/"v2"`}}, 412},
		{"one of several If-Match tags", call{"a", "PATCH", path(f.P2), `{"body":"b"}`, []string{`If-Match: "v9", "v2"`}}, 200},
		{"no If-Match is accepted", call{"a", "PATCH", path(f.P2), `{"body":"new"}`, nil}, 200},
		{"an author publishes: 403", call{"a", "POST", path(f.P3, "/publish"), "", nil}, 403},
		{"the editor publishes, stale: 412", call{"editor", "POST", path(f.P3, "/publish"), "", []string{`If-Match: "v9"`}}, 412},
		{"the draft is still hidden", call{"", "GET", publicPath(f.P3), "", nil}, 404},
		{"the editor publishes", call{"editor", "POST", path(f.P3, "/publish"), "", []string{`If-Match: "v1"`}}, 200},
		{"anonymous now reads it", call{"", "GET", publicPath(f.P3), "", nil}, 200},
		{"another author deletes: 403", call{"b", "DELETE", path(f.P2), "", nil}, 403},
		{"the author deletes, stale: 412", call{"a", "DELETE", path(f.P2), "", []string{`If-Match: "v1"`}}, 412},
		{"the author deletes", call{"a", "DELETE", path(f.P2), "", []string{`If-Match: "v4"`}}, 204},
		{"it is gone", call{"a", "GET", path(f.P2), "", nil}, 404},
		{"the editor deletes with If-Match *", call{"editor", "DELETE", path(f.P1), "", []string{`If-Match: *`}}, 204},
		{"deleting it again: 404", call{"editor", "DELETE", path(f.P1), "", nil}, 404},
	}
	for _, st := range steps {
		status, h, body := f.do(t, st.c)
		if status != st.want {
			t.Fatalf("%s: status %d, want %d: %s", st.name, status, st.want, body)
		}
		if status == 200 && st.c.method != "GET" {
			var p struct{ Version int64 }
			if err := json.Unmarshal(body, &p); err != nil || h.Get("ETag") != fmt.Sprintf(`"v%d"`, p.Version) {
				t.Errorf("%s: ETag %q for %s", st.name, h.Get("ETag"), body)
			}
		}
	}
}

// TestAPICreateInput: strict JSON and the field limits, as problem+json.
func TestAPICreateInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testAPICreateInput(t, newFixtureOn(t, b.open(t))) })
	}
}

func testAPICreateInput(t *testing.T, f *fixture) {
	long := strings.Repeat("é", blog.MaxTitle)
	tests := []struct {
		name, who, body string
		headers         []string
		want            int
	}{
		{"valid", "a", `{"title":"Hello","body":"# Hi"}`, nil, 201},
		{"charset parameter", "a", `{"title":"Hello"}`, []string{"Content-Type: application/json; charset=utf-8"}, 201},
		{"wrong content type", "a", `{"title":"Hello"}`, []string{"Content-Type: text/plain"}, 415},
		{"form content type", "a", `title=Hello`, []string{"Content-Type: application/x-www-form-urlencoded"}, 415},
		{"unknown field", "a", `{"title":"Hello","status":"published"}`, nil, 400},
		{"duplicate name", "a", `{"title":"Hello","title":"Other"}`, nil, 400},
		{"trailing data", "a", `{"title":"Hello"} {}`, nil, 400},
		{"invalid UTF-8", "a", "{\"title\":\"Hel\xfflo\"}", nil, 400},
		{"not an object", "a", `["Hello"]`, nil, 400},
		{"wrong type", "a", `{"title":5}`, nil, 400},
		{"empty title", "a", `{"title":""}`, nil, 400},
		{"blank title", "a", `{"title":"   "}`, nil, 400},
		{"title with a newline", "a", `{"title":"a\nb"}`, nil, 400},
		{"title of 200 characters", "a", `{"title":"` + long + `"}`, nil, 201},
		{"title of 201 characters", "a", `{"title":"` + long + `x"}`, nil, 400},
		{"body of 100 KB", "a", `{"title":"t","body":"` + strings.Repeat("x", blog.MaxBody) + `"}`, nil, 201},
		{"body over 100 KB", "a", `{"title":"t","body":"` + strings.Repeat("x", blog.MaxBody+1) + `"}`, nil, 400},
		{"body with NUL", "a", `{"title":"t","body":"a\u0000b"}`, nil, 400},
		{"request over the limit", "a", `{"title":"t","body":"` + strings.Repeat(`\u0041`, 2*blog.MaxBody) + `"}`, nil, 400},
		{"a reader creates", "reader", `{"title":"Hello"}`, nil, 403},
		{"no principal", "", `{"title":"Hello"}`, nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := f.do(t, call{tt.who, "POST", "/api/posts", tt.body, tt.headers})
			if status != tt.want {
				t.Fatalf("status %d, want %d: %.300s", status, tt.want, body)
			}
			if status >= 400 && h.Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type %q, want problem+json", h.Get("Content-Type"))
			}
			if status == 201 && (!strings.HasPrefix(h.Get("Location"), "/api/posts/") || h.Get("ETag") != `"v1"`) {
				t.Errorf("Location %q, ETag %q", h.Get("Location"), h.Get("ETag"))
			}
		})
	}
}

// TestAPIPages follows next_cursor through a list and refuses bad pages.
func TestAPIPages(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testAPIPages(t, newFixtureOn(t, b.open(t))) })
	}
}

func testAPIPages(t *testing.T, f *fixture) {
	var seen []int64
	next := "/api/posts?limit=2"
	for range 10 {
		status, _, body := f.do(t, call{"editor", "GET", next, "", nil})
		var page struct {
			Posts      []struct{ ID int64 }
			NextCursor string `json:"next_cursor"`
		}
		if status != 200 || json.Unmarshal(body, &page) != nil {
			t.Fatalf("GET %s: %d %s", next, status, body)
		}
		for _, p := range page.Posts {
			seen = append(seen, p.ID)
		}
		if page.NextCursor == "" {
			break
		}
		next = "/api/posts?limit=2&cursor=" + page.NextCursor
	}
	if fmt.Sprint(seen) != fmt.Sprint([]int64{f.P3.ID, f.P2.ID, f.P1.ID}) {
		t.Errorf("pages gave %v", seen)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "cursor=!!", "cursor=MTI", "cursor=YmVmb3JlOi0x"} {
		if status, _, body := f.do(t, call{"editor", "GET", "/api/posts?" + q, "", nil}); status != 400 {
			t.Errorf("?%s: status %d, want 400: %s", q, status, body)
		}
	}
}

// TestAPIPublicList lists only published posts to anonymous callers, and
// to signed-in ones on the public route.
func TestAPIPublicList(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testAPIPublicList(t, newFixtureOn(t, b.open(t))) })
	}
}

func testAPIPublicList(t *testing.T, f *fixture) {
	for _, who := range []string{"", "editor"} {
		status, _, body := f.do(t, call{who, "GET", "/public/posts", "", nil})
		if status != 200 || strings.Contains(string(body), "draft") || !strings.Contains(string(body), "Welcome") {
			t.Errorf("caller %q: %d %s", who, status, body)
		}
	}
}

// TestAPIConditionalGet answers 304 to a client whose copy is current.
func TestAPIConditionalGet(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testAPIConditionalGet(t, newFixtureOn(t, b.open(t))) })
	}
}

func testAPIConditionalGet(t *testing.T, f *fixture) {
	tests := []struct {
		header string
		want   int
	}{{`"v1"`, 304}, {`W/"v1"`, 304}, {`"v2"`, 200}, {`*`, 304}}
	for _, tt := range tests {
		status, h, _ := f.do(t, call{"", "GET", publicPath(f.P1), "", []string{"If-None-Match: " + tt.header}})
		if status != tt.want || h.Get("ETag") != `"v1"` {
			t.Errorf("If-None-Match %s: %d, ETag %q; want %d", tt.header, status, h.Get("ETag"), tt.want)
		}
	}
}

// TestAPIMalformedIfMatch: an If-Match that is not a tag this API made
// (unquoted, missing its prefix, weak) never matches, whatever number it
// holds.
func TestAPIMalformedIfMatch(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { testAPIMalformedIfMatch(t, newFixtureOn(t, b.open(t))) })
	}
}

func testAPIMalformedIfMatch(t *testing.T, f *fixture) {
	for _, tag := range []string{`1"`, `"1"`, `v1`, `W/"v1"`, `"v01"`, `"v1`} {
		status, _, body := f.do(t, call{"a", "PATCH", path(f.P2), `{"title":"x"}`, []string{"If-Match: " + tag}})
		if status != http.StatusPreconditionFailed {
			t.Errorf("If-Match %s: %d, want 412: %s", tag, status, body)
		}
	}
}
