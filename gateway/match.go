package gateway

import (
	"bufio"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// Reserved lists the paths the gateway serves itself, ahead of every
// rule: a prefix when it ends in "/", else one path. No rule may name them.
func Reserved() []string {
	return []string{"/.gatehouse/", "/auth/", JWKSPath}
}

// JWKSPath is where the keys that sign identity assertions are published.
const JWKSPath = "/.well-known/jwks.json"

// isReserved reports whether a request path is served by the gateway.
func isReserved(p string) bool {
	return strings.HasPrefix(p, "/.gatehouse/") || strings.HasPrefix(p, "/auth/") || p == JWKSPath
}

// CheckPath returns a CodeInvalid error unless p, an escaped request path,
// is canonical: it starts with "/", has no empty, "." or ".." segment, no
// backslash, ';' or control character, and no percent-encoding of a
// character that needs none (letters, digits, "-._~"), of a separator or
// delimiter ("/", "\", ";", "?", "#"), of "%" itself or of a control
// character. Such paths are refused, never "fixed": an upstream that
// decoded or cleaned them differently would see another path than the one
// the rules decided on.
func CheckPath(p string) error {
	if p == "" || p[0] != '/' {
		return invalidPath("The path must start with '/'.")
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c <= ' ' || c >= 0x7f || c == '\\' || c == ';' || c == '?' || c == '#':
			return invalidPath("The path contains a control character, a space, '\\', ';', '?', '#' or an unencoded non-ASCII byte.")
		case c == '%':
			if i+2 >= len(p) || !ishex(p[i+1]) || !ishex(p[i+2]) {
				return invalidPath("The path contains a malformed percent-encoding.")
			}
			if forbiddenEscape(unhex(p[i+1])<<4 | unhex(p[i+2])) {
				return invalidPath("The path contains an encoded separator, dot, letter, '%' or control character.")
			}
			i += 2
		case c == '/':
			if err := checkSegment(p[i+1:]); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSegment refuses an empty (but not final), "." or ".." segment at
// the start of rest.
func checkSegment(rest string) error {
	seg, _, more := strings.Cut(rest, "/")
	if seg == "." || seg == ".." || (seg == "" && more) {
		return invalidPath("The path contains an empty, '.' or '..' segment.")
	}
	return nil
}

func invalidPath(msg string) error { return gatehouse.Errorf(gatehouse.CodeInvalid, "%s", msg) }

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// forbiddenEscape reports whether the byte b may not appear percent-encoded.
func forbiddenEscape(b byte) bool {
	switch {
	case b < 0x20 || b == 0x7f:
		return true
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("-._~/\\;?#%", b) >= 0
}

// matcher finds a request's rule with an http.ServeMux, which is used only
// for its pattern grammar, precedence and conflict checks: it serves nothing.
type matcher struct {
	mux   *http.ServeMux
	cache *matchCache
}

// ruleRef is what the matcher's mux holds for a rule.
type ruleRef struct{ rule *Rule }

// ServeHTTP is never called: the mux only matches.
func (ruleRef) ServeHTTP(http.ResponseWriter, *http.Request) {}

var registeredAt = regexp.MustCompile(` \(registered at [^)]*\)`)

func (m *matcher) build(rules []*Rule) error {
	m.mux, m.cache = http.NewServeMux(), newMatchCache()
	for _, r := range rules {
		if err := register(m.mux, r); err != nil {
			msg := registeredAt.ReplaceAllString(err.Error(), "")
			return fmt.Errorf("line %d: %s", r.Line, strings.ReplaceAll(msg, ":\n", ": "))
		}
	}
	return nil
}

// register adds r to mux, turning the mux's panic on a bad or conflicting
// pattern into an error.
func register(mux *http.ServeMux, r *Rule) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	mux.Handle(r.Pattern, ruleRef{r})
	return nil
}

// match returns the rule that decides r, or nil. r's path must have passed
// CheckPath; the host is matched without regard to case, and the path too
// when the table folds case.
func (t *Table) match(r *http.Request) *Rule {
	path := r.URL.EscapedPath()
	if rule, ok := t.matcher.cache.get(r.Method, r.Host, path); ok {
		return rule
	}
	rule := t.matchMux(r)
	t.matcher.cache.put(r.Method, r.Host, path, rule)
	return rule
}

// matchMux is match without the cache. A path with a trailing slash
// must also satisfy the rule for the path without it, since many upstreams
// serve "/x/" as "/x": the stricter of the two rules decides, and neither
// when they cannot be compared (see stricter). This mirrors the mux's own
// redirect of "/x" when "/x/" has a rule of its own, which the gateway
// denies.
func (t *Table) matchMux(r *http.Request) *Rule {
	rule, bare, both := t.slashRules(r)
	if !both {
		return rule
	}
	return stricter(rule, bare)
}

// slashRules returns the rule of r's path and, when that path ends in a
// slash that the path without it does not merely redirect to (both), the
// rule of the path without the slash.
func (t *Table) slashRules(r *http.Request) (rule, bare *Rule, both bool) {
	rule, _ = t.muxRule(r, r.URL.Path, r.URL.RawPath)
	p := r.URL.EscapedPath()
	if len(p) < 2 || p[len(p)-1] != '/' {
		return rule, nil, false
	}
	bare, redirect := t.muxRule(r, strings.TrimSuffix(r.URL.Path, "/"), strings.TrimSuffix(r.URL.RawPath, "/"))
	if redirect {
		return rule, nil, false // the bare path has no rule of its own: the mux sends it here
	}
	return rule, bare, true
}

// muxRule asks the mux which rule decides r with the given path. redirect
// reports that the mux would redirect the path to itself with a slash
// appended, which has a rule. r's host is canonical (see precheck).
func (t *Table) muxRule(r *http.Request, path, rawPath string) (rule *Rule, redirect bool) {
	if t.FoldCase {
		path, rawPath = strings.ToLower(path), strings.ToLower(rawPath)
	}
	mr := r
	if path != r.URL.Path || rawPath != r.URL.RawPath {
		c := *r
		u := *r.URL
		u.Path, u.RawPath = path, rawPath
		c.URL = &u
		mr = &c
	}
	h, pattern := t.matcher.mux.Handler(mr)
	if ref, ok := h.(ruleRef); ok {
		return ref.rule, false
	}
	// No rule (the mux names no pattern); or a redirect to the path with a
	// slash appended (the only redirect there is for a canonical path),
	// whose rule the mux names.
	return nil, pattern != ""
}

// stricter returns the rule that asks at least what both a and b ask of a
// request, or nil (deny) when there is none: either is nil, they forward
// to different upstreams, or neither's scopes include the other's. A deny
// rule is the strictest.
func stricter(a, b *Rule) *Rule {
	switch {
	case a == b:
		return a
	case a == nil || b == nil:
		return nil
	case a.Access == AccessDeny:
		return a
	case b.Access == AccessDeny:
		return b
	case a.Upstream != b.Upstream:
		return nil
	case b.Access == AccessPublic:
		return a
	case a.Access == AccessPublic:
		return b
	case includes(a.Scopes, b.Scopes):
		return a
	case includes(b.Scopes, a.Scopes):
		return b
	}
	return nil
}

// includes reports whether every scope of sub is in set.
func includes(set, sub gatehouse.Scopes) bool {
	for _, s := range sub {
		if !set.Has(s) {
			return false
		}
	}
	return true
}

// Explanation says who decides a request and how.
type Explanation struct {
	Reserved bool  // served by the gateway itself
	Invalid  error // refused with 400 before any rule is consulted
	Rule     *Rule // the deciding rule; nil with neither of the above: denied
	Upstream *Upstream
	// Conflict, when Rule is nil for a path with a trailing slash, holds
	// the rule of that path and the rule of the path without the slash:
	// both match, but neither asks at least what the other asks, so the
	// request is denied (see matchMux).
	Conflict []*Rule
}

// precheck is what the gateway decides before authentication: a request
// it refuses (CONNECT, a path that is not canonical, a malformed host), or
// one for a reserved path. It returns r with its host canonical (see
// canonicalHost), which is the request the rules, the guard and the
// upstream see.
func precheck(r *http.Request) (_ *http.Request, reserved bool, err error) {
	if r.Method == http.MethodConnect {
		return r, false, gatehouse.Errorf(gatehouse.CodeInvalid, "CONNECT is not forwarded.")
	}
	host, err := canonicalHost(r.Host)
	if err != nil {
		return r, false, err
	}
	if host != r.Host {
		r = r.WithContext(r.Context()) // a shallow copy: the server's request is not ours to change
		r.Host = host
	}
	p := r.URL.EscapedPath()
	if err := CheckPath(p); err != nil {
		return r, false, err
	}
	return r, isReserved(p), nil
}

// canonicalHost returns a Host header the way rules match it: in lower
// case, and without the trailing dot of a fully qualified name
// ("api.example.com." is "api.example.com", which the mux would not match
// otherwise). A name with an empty label at the end is refused. The port,
// if any, is kept. A canonical host is returned as it is, without
// allocating.
func canonicalHost(h string) (string, error) {
	name, port := h, ""
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h[i:], ']') < 0 {
		name, port = h[:i], h[i:]
	}
	if !strings.HasSuffix(name, ".") {
		return strings.ToLower(h), nil // h itself, without allocating, when it has no upper case
	}
	name = name[:len(name)-1]
	if name == "" || strings.HasSuffix(name, ".") {
		return "", gatehouse.Errorf(gatehouse.CodeInvalid, "The Host header is not a host name.")
	}
	return strings.ToLower(name) + port, nil
}

// classify is the gateway's decision on r, before authentication: the
// same functions as ServeHTTP's, so that Explain tells the truth.
func (t *Table) classify(r *http.Request) Explanation {
	r, reserved, err := precheck(r)
	if err != nil || reserved {
		return Explanation{Invalid: err, Reserved: reserved}
	}
	rule := t.match(r)
	if rule == nil {
		return Explanation{Conflict: t.slashConflict(r)}
	}
	return Explanation{Rule: rule, Upstream: t.Upstreams[rule.Upstream]}
}

// slashConflict returns the two rules that matchMux found incomparable for
// r, a request it denied: that of r's path, which ends in a slash, and
// that of the path without the slash. It returns nil when r was denied for
// another reason.
func (t *Table) slashConflict(r *http.Request) []*Rule {
	if slashed, bare, both := t.slashRules(r); both && slashed != nil && bare != nil {
		return []*Rule{slashed, bare}
	}
	return nil
}

// Explain parses a request line the way the server does ("GET",
// "/some/path?q=1", with host as its Host header) and says which rule
// decides it and why.
func (t *Table) Explain(method, target, host string) (Explanation, error) {
	if host == "" {
		host = "localhost"
	}
	raw := method + " " + target + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		return Explanation{}, fmt.Errorf("gateway: not a request line: %q %q: %w", method, target, err)
	}
	if strings.ContainsAny(method+host, " \r\n") || strings.ContainsAny(target, " \r\n") {
		return Explanation{}, errors.New("gateway: method, target and host may not contain spaces or line breaks")
	}
	return t.classify(r), nil
}

// String says in words what happens to the request.
func (e Explanation) String() string {
	switch {
	case e.Invalid != nil:
		return "refused with 400 before any rule: " + gatehouse.ErrorMessage(e.Invalid)
	case e.Reserved:
		return "served by the gateway itself (reserved path)"
	case e.Rule == nil && len(e.Conflict) == 2:
		return fmt.Sprintf("denied (401 without a credential, 403 with one): with its trailing slash the path "+
			"matches the rule at line %d %q, without it the rule at line %d %q, and neither asks at least what "+
			"the other asks (different upstreams, or scopes that do not include each other)",
			e.Conflict[0].Line, e.Conflict[0].Pattern, e.Conflict[1].Line, e.Conflict[1].Pattern)
	case e.Rule == nil:
		return "no rule matches: denied (401 without a credential, 403 with one)"
	case e.Rule.Access == AccessDeny:
		return fmt.Sprintf("rule at line %d %q decides: %s", e.Rule.Line, e.Rule.Pattern, e.Rule.Describe())
	}
	return fmt.Sprintf("rule at line %d %q decides: %s; forwarded to upstream %s (%s)",
		e.Rule.Line, e.Rule.Pattern, e.Rule.Describe(), e.Upstream.Name, e.Upstream.URL)
}
