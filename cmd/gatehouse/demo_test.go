package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// demoKeyScopes are the keys "serve --demo" prints and the scopes each
// carries, as the README says.
var demoKeyScopes = map[string][]string{
	"EDITOR_READ": {"read"},
	"EDITOR_RW":   {"keys", "read", "write"},
	"AUTHOR_READ": {"read"},
	"AUTHOR_RW":   {"keys", "read", "write"},
	"READER_READ": {"read"},
}

// TestREADMEBlogTour runs "serve --demo", takes the keys from its output
// with the README's own grep pattern, checks their names and scopes, and
// then runs every curl line of the README's blog tour in order, checking
// the status (and the error or message) written under it.
func TestREADMEBlogTour(t *testing.T) {
	tour := readmeSection(t, "### The blog: request-level scopes, then Cedar")
	getenv, _ := testEnv(t, nil)
	s := startServe(t, getenv, "--demo")

	grep := regexp.MustCompile(`grep -E '([^']+)' demo\.txt`).FindStringSubmatch(tour)
	if grep == nil {
		t.Fatal("the README's tour no longer greps demo.txt for the keys")
	}
	vars := printedKeys(t, s.banner, regexp.MustCompile(grep[1]))
	for name, want := range demoKeyScopes {
		if !strings.Contains(tour, name) {
			t.Errorf("the README's tour does not name %s", name)
		}
		var me struct {
			Role   string
			Scopes []string
		}
		if status := s.getJSON(t, "/api/me", "apikey "+vars[name], &me); status != 200 {
			t.Fatalf("%s: /api/me %d", name, status)
		}
		if slices.Sort(me.Scopes); !slices.Equal(me.Scopes, want) || !strings.HasPrefix(name, strings.ToUpper(me.Role)+"_") {
			t.Errorf("%s: role %s, scopes %v; want scopes %v", name, me.Role, me.Scopes, want)
		}
	}

	lines := strings.Split(tour, "\n")
	steps := 0
	for i, line := range lines {
		if assign := regexp.MustCompile(`^[A-Z]+=`); assign.MatchString(line) && !strings.HasPrefix(line, "eval") {
			for _, a := range strings.Split(line, "; ") {
				name, value, _ := strings.Cut(shellWords(a, vars)[0], "=")
				vars[name] = value
			}
			vars["B"] = "https://" + s.addr
			continue
		}
		if !strings.HasPrefix(line, "curl ") {
			continue
		}
		steps++
		want, wantText := 200, ""
		if i+1 < len(lines) {
			if m := regexp.MustCompile(`^#\s+(\d{3})\s*("[^"]*"|[a-z_]*)`).FindStringSubmatch(lines[i+1]); m != nil {
				want, _ = strconv.Atoi(m[1])
				wantText = strings.Trim(m[2], `"`)
			}
		}
		status, body := s.curl(t, shellWords(line, vars))
		if status != want || !strings.Contains(body, wantText) {
			t.Errorf("README: %s\ngot %d %s\nwant %d %q", line, status, body, want, wantText)
		}
	}
	if steps < 8 {
		t.Errorf("only %d curl lines in the README's tour", steps)
	}
}

// readmeSection returns the first shell block after heading in README.md.
func readmeSection(t *testing.T, heading string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), heading+"\n")
	_, rest, ok2 := strings.Cut(rest, "```sh\n")
	block, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatalf("README.md has no shell block under %q", heading)
	}
	return block
}

// printedKeys returns the NAME=key lines of out that match the pattern, and
// checks that they are exactly the keys of demoKeyScopes.
func printedKeys(t *testing.T, out []string, pattern *regexp.Regexp) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for _, line := range out {
		if pattern.MatchString(line) {
			name, key, _ := strings.Cut(line, "=")
			vars[name] = key
		}
	}
	var got, want []string
	for name := range vars {
		got = append(got, name)
	}
	for name := range demoKeyScopes {
		want = append(want, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("serve --demo printed keys %v, want %v\n%s", got, want, strings.Join(out, "\n"))
	}
	return vars
}

// getJSON calls path and decodes the answer into v.
func (s *served) getJSON(t *testing.T, path, authorization string, v any) int {
	t.Helper()
	status, body := s.curl(t, []string{"curl", "-H", "Authorization: " + authorization, "https://" + s.addr + path})
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("%s: %v: %s", path, err, body)
	}
	return status
}

// curl makes the request a curl command line describes (-X, -H, -d,
// --cacert and the URL) and returns the status and the body.
func (s *served) curl(t *testing.T, args []string) (int, string) {
	t.Helper()
	method, url, body := "", "", ""
	var headers []string
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "-X":
			i++
			method = args[i]
		case "-H":
			i++
			headers = append(headers, args[i])
		case "-d":
			i++
			body = args[i]
		case "--cacert":
			i++
		default:
			url = args[i]
		}
	}
	if method == "" {
		method = map[bool]string{true: "POST", false: "GET"}[body != ""]
	}
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// shellWords splits a command line as sh would for the README's simple
// lines: single and double quotes, $NAME expanded outside single quotes,
// and a # after a space starting a comment.
func shellWords(line string, vars map[string]string) []string {
	var words []string
	var w strings.Builder
	inWord, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == 0 && (c == ' ' || c == '\t'):
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
		case quote == 0 && c == '#' && !inWord:
			i = len(line)
		case c == '\'' && quote != '"', c == '"' && quote != '\'':
			inWord = true
			if quote == 0 {
				quote = c
			} else {
				quote = 0
			}
		case c == '$' && quote != '\'':
			j := i + 1
			for j < len(line) && (line[j] == '_' || 'A' <= line[j] && line[j] <= 'Z' || 'a' <= line[j] && line[j] <= 'z' || '0' <= line[j] && line[j] <= '9') {
				j++
			}
			w.WriteString(vars[line[i+1:j]])
			inWord, i = true, j-1
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}
