package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gatehouse-dev/gatehouse"
)

// DefaultUpstream is the name of the upstream that routes use when they
// name none: the one given by ParseOptions.DefaultUpstream (--upstream).
const DefaultUpstream = "default"

// Access is what a rule asks of a request before it is forwarded.
type Access int

// The kinds of access. A rule with scopes is AccessAuthenticated and also
// needs every one of its scopes.
const (
	AccessDeny          Access = iota // refused: 401 without a principal, 403 with one
	AccessPublic                      // forwarded without a credential (one that is sent is still checked)
	AccessAuthenticated               // forwarded for any principal holding the rule's scopes
)

// String returns the access as the route file spells it.
func (a Access) String() string {
	switch a {
	case AccessPublic:
		return "public"
	case AccessAuthenticated:
		return "authenticated"
	}
	return "deny"
}

// Rule is one entry of the route file.
type Rule struct {
	// Line is the line of the entry in the route file.
	Line int
	// Pattern is an http.ServeMux pattern: "[METHOD ][HOST]/[PATH]".
	Pattern string
	// Access is what the rule asks of the request.
	Access Access
	// Scopes must all be held by the principal (Access is then
	// AccessAuthenticated).
	Scopes gatehouse.Scopes
	// Upstream names the upstream that receives the requests the rule
	// allows.
	Upstream string

	index int // position in Table.Rules
}

// Describe says in words what the rule asks, for "gatehouse routes".
func (r *Rule) Describe() string {
	switch {
	case r.Access == AccessAuthenticated && len(r.Scopes) > 0:
		return "authenticated, scopes: " + strings.Join(r.Scopes.Strings(), ", ")
	case r.Access == AccessDeny:
		return "deny (401 without a credential, 403 with one)"
	}
	return r.Access.String()
}

// Upstream is a server that the gateway forwards to.
type Upstream struct {
	Name string
	URL  *url.URL // scheme and host only
	// Health, when not "", is a path whose GET must answer 2xx for the
	// gateway to be ready; "" means a TCP connection suffices.
	Health string
}

// Table is a parsed, validated route file, made by ParseRoutes or
// LoadRoutes. It is read-only: a reload makes a new Table.
type Table struct {
	// Rules are the entries in file order. Which one decides a request is
	// http.ServeMux's choice: the most specific pattern, not the first;
	// a path with a trailing slash must also satisfy the rule of the path
	// without it.
	Rules []*Rule
	// Upstreams by name.
	Upstreams map[string]*Upstream
	// FoldCase says that upstreams treat paths without regard to case, so
	// that rules are matched against the lower-cased path.
	FoldCase bool

	matcher matcher
}

// ParseOptions are what a route file is checked against.
type ParseOptions struct {
	// DefaultUpstream is the URL of the upstream named DefaultUpstream
	// (the --upstream setting); "" means the file must name all of its
	// upstreams.
	DefaultUpstream string
	// KnownScopes are the scopes a key can carry; a rule that needs
	// another is refused as a likely typo. Nil accepts any well-formed
	// scope name.
	KnownScopes gatehouse.Scopes
}

// fileSpec is the YAML shape of a route file.
type fileSpec struct {
	FoldCase  bool                    `yaml:"fold_case"`
	Upstreams map[string]upstreamSpec `yaml:"upstreams"`
	Routes    []ruleSpec              `yaml:"routes"`
}

type upstreamSpec struct {
	URL    string `yaml:"url"`
	Health string `yaml:"health"`
}

type ruleSpec struct {
	Pattern  string   `yaml:"pattern"`
	Access   string   `yaml:"access"`
	Scopes   []string `yaml:"scopes"`
	Upstream string   `yaml:"upstream"`
}

// LoadRoutes reads and parses the route file at path. Errors name the file
// and, where there is one, the line.
func LoadRoutes(path string, opts ParseOptions) (*Table, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gateway: route file: %w", err)
	}
	t, err := ParseRoutes(data, opts)
	if err != nil {
		return nil, fmt.Errorf("route file %s: %w", path, err)
	}
	return t, nil
}

// ParseRoutes parses and validates a route file: unknown keys, unknown
// access values or scopes, bad or conflicting patterns, patterns under the
// gateway's reserved paths, and undefined upstreams are errors that give
// the line.
func ParseRoutes(data []byte, opts ParseOptions) (*Table, error) {
	var spec fileSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil && !errors.Is(err, io.EOF) {
		return nil, errors.New(strings.ReplaceAll(err.Error(), "\n  ", " "))
	}
	lines, err := ruleLines(data)
	if err != nil {
		return nil, err
	}
	t := &Table{FoldCase: spec.FoldCase}
	if t.Upstreams, err = parseUpstreams(spec.Upstreams, opts.DefaultUpstream); err != nil {
		return nil, err
	}
	for i, rs := range spec.Routes {
		r, err := t.parseRule(rs, lines[i], opts.KnownScopes)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", lines[i], err)
		}
		r.index = len(t.Rules)
		t.Rules = append(t.Rules, r)
	}
	if len(t.Rules) == 0 {
		return nil, errors.New("no routes: everything would be denied")
	}
	if err := t.matcher.build(t.Rules); err != nil {
		return nil, err
	}
	return t, nil
}

// ruleLines returns the line of each entry of the routes list.
func ruleLines(data []byte) ([]int, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil
	}
	m := doc.Content[0].Content
	for i := 0; i+1 < len(m); i += 2 {
		if m[i].Value == "routes" {
			var lines []int
			for _, n := range m[i+1].Content {
				lines = append(lines, n.Line)
			}
			return lines, nil
		}
	}
	return nil, nil
}

func parseUpstreams(specs map[string]upstreamSpec, def string) (map[string]*Upstream, error) {
	out := map[string]*Upstream{}
	if def != "" {
		if _, dup := specs[DefaultUpstream]; dup {
			return nil, fmt.Errorf("upstream %q is given both by --upstream and in the file", DefaultUpstream)
		}
		specs = maps(specs)
		specs[DefaultUpstream] = upstreamSpec{URL: def}
	}
	for name, s := range specs {
		u, err := parseUpstreamURL(s.URL)
		if err != nil {
			return nil, fmt.Errorf("upstream %q: %w", name, err)
		}
		if s.Health != "" && (!strings.HasPrefix(s.Health, "/") || CheckPath(s.Health) != nil) {
			return nil, fmt.Errorf("upstream %q: health %q is not a canonical absolute path", name, s.Health)
		}
		out[name] = &Upstream{Name: name, URL: u, Health: s.Health}
	}
	return out, nil
}

func maps(m map[string]upstreamSpec) map[string]upstreamSpec {
	out := make(map[string]upstreamSpec, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// parseUpstreamURL accepts http and https URLs with a host and nothing
// else: a path would make the upstream see another path than the one the
// rules decided on.
func parseUpstreamURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%q is not a URL", s)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q: want an http:// or https:// URL", s)
	case u.Host == "" || u.User != nil:
		return nil, fmt.Errorf("%q: want a host and no user information", s)
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%q: want no path, query or fragment (the upstream sees the request's own path)", s)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

func (t *Table) parseRule(rs ruleSpec, line int, known gatehouse.Scopes) (*Rule, error) {
	r := &Rule{Line: line, Pattern: strings.TrimSpace(rs.Pattern), Upstream: rs.Upstream}
	if r.Pattern == "" {
		return nil, errors.New("a route needs a pattern")
	}
	if r.Upstream == "" {
		r.Upstream = DefaultUpstream
	}
	if _, ok := t.Upstreams[r.Upstream]; !ok {
		return nil, fmt.Errorf("pattern %q: upstream %q is not defined (define it under upstreams, or give --upstream)", r.Pattern, r.Upstream)
	}
	if err := t.checkPattern(r.Pattern); err != nil {
		return nil, fmt.Errorf("pattern %q: %w", r.Pattern, err)
	}
	var err error
	if r.Access, r.Scopes, err = parseAccess(rs.Access, rs.Scopes, known); err != nil {
		return nil, fmt.Errorf("pattern %q: %w", r.Pattern, err)
	}
	return r, nil
}

func parseAccess(access string, scopes []string, known gatehouse.Scopes) (Access, gatehouse.Scopes, error) {
	var a Access
	switch access {
	case "public":
		a = AccessPublic
	case "authenticated":
		a = AccessAuthenticated
	case "deny":
		a = AccessDeny
	case "":
		if len(scopes) == 0 {
			return 0, nil, errors.New("give access (public, authenticated or deny) or scopes")
		}
		a = AccessAuthenticated
	default:
		return 0, nil, fmt.Errorf("unknown access %q (want public, authenticated or deny)", access)
	}
	if len(scopes) > 0 && a != AccessAuthenticated {
		return 0, nil, fmt.Errorf("scopes go only with authenticated access, not %s", a)
	}
	out := make([]gatehouse.Scope, 0, len(scopes))
	for _, s := range scopes {
		if !gatehouse.ValidScopeName(s) {
			return 0, nil, fmt.Errorf("%q is not a scope name", s)
		}
		if known != nil && !known.Has(gatehouse.Scope(s)) {
			return 0, nil, fmt.Errorf("unknown scope %q (known: %s; add deployment scopes with --scope)", s, known)
		}
		out = append(out, gatehouse.Scope(s))
	}
	return a, gatehouse.NewScopes(out...), nil
}

// checkPattern refuses patterns that could never match a canonical path,
// that reach into the gateway's reserved paths, or that are not lower case
// when the table folds case.
func (t *Table) checkPattern(pattern string) error {
	rest := pattern
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		rest = strings.TrimLeft(rest[i:], " \t")
	}
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return errors.New("want [METHOD ][HOST]/PATH")
	}
	host, p := rest[:slash], rest[slash:]
	if strings.ToLower(host) != host {
		return errors.New("write the host in lower case (hosts are matched without regard to case)")
	}
	if err := CheckPath(p); err != nil {
		return fmt.Errorf("the path is not canonical: %s", gatehouse.ErrorMessage(err))
	}
	if t.FoldCase && strings.ToLower(p) != p {
		return errors.New("with fold_case, write paths in lower case")
	}
	if prefix, ok := reservedPath(strings.ToLower(p)); ok {
		return fmt.Errorf("%s is served by the gateway itself and cannot be routed", prefix)
	}
	return nil
}

// reservedPath reports whether a pattern's path reaches a reserved path.
func reservedPath(p string) (string, bool) {
	for _, r := range Reserved() {
		if strings.HasPrefix(p, r) || strings.HasSuffix(r, "/") && p == strings.TrimSuffix(r, "/") {
			return r, true
		}
	}
	return "", false
}

// UpstreamNames returns the upstreams' names, sorted.
func (t *Table) UpstreamNames() []string {
	names := make([]string, 0, len(t.Upstreams))
	for n := range t.Upstreams {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
