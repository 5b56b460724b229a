package gateway

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"

	"github.com/gatehouse-dev/gatehouse"
)

// Headers names the headers that tell the upstream who is calling. Each is
// set only for an authenticated request; whatever the client sent under
// any spelling of these names is removed first.
type Headers struct {
	UserID     string // the user's numeric id
	Email      string // the user's email, when known
	Role       string // reader, author, editor or admin
	AuthMethod string // apikey or session
	KeyID      string // the API key's public id, for key-authenticated requests
	Scopes     string // the effective scopes, separated by spaces
}

// DefaultHeaders returns the default header names, X-Gatehouse-User-Id and
// so on.
func DefaultHeaders() Headers {
	return Headers{
		UserID: "X-Gatehouse-User-Id", Email: "X-Gatehouse-Email", Role: "X-Gatehouse-Role",
		AuthMethod: "X-Gatehouse-Auth-Method", KeyID: "X-Gatehouse-Key-Id", Scopes: "X-Gatehouse-Scopes",
	}
}

// headerSet is what the gateway removes from and adds to requests and
// responses.
type headerSet struct {
	h         Headers // canonical names
	assertion string  // canonical, or "" without assertions
	reqStrip  map[string]bool
	respStrip map[string]bool
}

// requestOnly are removed from every forwarded request besides the
// identity headers: credentials, forwarding headers the gateway sets itself
// or that a client must not set, and the rewrites and method overrides that
// some frameworks honour and that would make the upstream act on another
// request than the one the rules decided on.
var requestOnly = []string{
	"authorization", "forwarded", "x-forwarded", "x-real-ip", "x-client-ip", "true-client-ip", "client-ip",
	"x-cluster-client-ip", "cf-connecting-ip", "x-original-forwarded-for",
	"x-host", "x-original-host", "front-end-https", "x-url-scheme",
	"x-original-url", "x-rewrite-url", "x-override-url", "x-original-method",
	"x-http-method-override", "x-http-method", "x-method-override",
}

// notIdentity are names an identity header may not take.
var notIdentity = []string{
	"host", "authorization", "cookie", "set-cookie", "connection", "content-length", "content-type",
	"transfer-encoding", "te", "upgrade", "trailer", "keep-alive", "proxy-authorization", "forwarded",
}

func newHeaderSet(cfg Headers, a *Assertions) (headerSet, error) {
	def := DefaultHeaders()
	fields := []*string{&cfg.UserID, &cfg.Email, &cfg.Role, &cfg.AuthMethod, &cfg.KeyID, &cfg.Scopes}
	defs := []string{def.UserID, def.Email, def.Role, def.AuthMethod, def.KeyID, def.Scopes}
	s := headerSet{reqStrip: map[string]bool{}, respStrip: map[string]bool{}}
	names := make([]string, 0, len(fields)+1)
	for i, f := range fields {
		if *f == "" {
			*f = defs[i]
		}
		*f = http.CanonicalHeaderKey(*f)
		names = append(names, *f)
	}
	if a != nil {
		s.assertion = http.CanonicalHeaderKey(a.header)
		names = append(names, s.assertion)
	}
	for _, n := range names {
		key := normalize(n)
		if !httpguts.ValidHeaderFieldName(n) || isNotIdentity(key) || strings.HasPrefix(key, "x-forwarded-") {
			return headerSet{}, fmt.Errorf("gateway: %q cannot be an identity header", n)
		}
		if s.respStrip[key] {
			return headerSet{}, fmt.Errorf("gateway: identity header %q is named twice", n)
		}
		s.reqStrip[key], s.respStrip[key] = true, true
	}
	for _, n := range requestOnly {
		s.reqStrip[n] = true
	}
	s.respStrip["strict-transport-security"] = true // the gateway terminates TLS and sets its own
	s.respStrip["request-id"] = true                // the gateway's id is the one the client sees
	s.respStrip["x-content-type-options"] = true    // the gateway sends nosniff, the only value there is
	s.h = cfg
	return s, nil
}

func isNotIdentity(key string) bool {
	for _, n := range notIdentity {
		if key == n {
			return true
		}
	}
	return false
}

// normalize folds a header name the way lenient servers and frameworks
// do: lower case, with '_' for '-' (CGI, PHP, Rails and others map both to
// HTTP_X_...).
func normalize(name string) string {
	var buf [64]byte
	if len(name) > len(buf) {
		return strings.ReplaceAll(strings.ToLower(name), "_", "-")
	}
	return string(normalizeInto(&buf, name))
}

func normalizeInto(buf *[64]byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '_':
			c = '-'
		}
		buf[i] = c
	}
	return buf[:len(name)]
}

// strips reports whether the header k is in set, or is any X-Gatehouse-*
// header, or (with forwarding) any X-Forwarded-* header, in any spelling.
func strips(set map[string]bool, k string, forwarding bool) bool {
	var buf [64]byte
	if len(k) > len(buf) {
		n := normalize(k)
		return set[n] || strings.HasPrefix(n, "x-gatehouse-") || forwarding && strings.HasPrefix(n, "x-forwarded-")
	}
	n := normalizeInto(&buf, k)
	if set[string(n)] { // no allocation: the compiler looks up the bytes
		return true
	}
	return hasPrefix(n, "x-gatehouse-") || forwarding && hasPrefix(n, "x-forwarded-")
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

// cleanRequest returns h without the headers a client may not pass to
// the upstream and without Gatehouse's cookies, in a new map with room for
// extra more entries. The map is sized once: the forwarded request of an
// authenticated caller has more headers than a small map holds (eight),
// and growing one to fit would copy it.
func (s *headerSet) cleanRequest(h http.Header, extra int) http.Header {
	out := make(http.Header, len(h)+extra)
	for k, v := range h {
		if !strips(s.reqStrip, k, true) {
			out[k] = v
		}
	}
	if c, ok := out["Cookie"]; ok {
		if kept := dropCookies(c); len(kept) > 0 {
			out["Cookie"] = kept
		} else {
			delete(out, "Cookie")
		}
	}
	return out
}

// identityCount is the most headers setIdentity sets.
const identityCount = 6

// cleanResponse removes identity headers and Gatehouse's cookies that an
// upstream set, so that they never reach the client.
func (s *headerSet) cleanResponse(h http.Header) {
	for k := range h {
		if strips(s.respStrip, k, false) {
			delete(h, k)
		}
	}
	if sc, ok := h["Set-Cookie"]; ok {
		kept := sc[:0:0]
		for _, v := range sc {
			name, _, _ := strings.Cut(v, "=")
			if !isGatehouseCookie(strings.TrimSpace(name)) {
				kept = append(kept, v)
			}
		}
		h["Set-Cookie"] = kept
		if len(kept) == 0 {
			delete(h, "Set-Cookie")
		}
	}
}

// forbiddenTrailer reports whether an upstream may not send the trailer
// k: an identity header, one of the gateway's own, or a cookie (trailers
// may not set cookies; a client that took one would take Gatehouse's).
func (s *headerSet) forbiddenTrailer(k string) bool {
	return strips(s.respStrip, k, false) || strings.EqualFold(k, "Set-Cookie")
}

// cleanTrailers removes from h, a response's header map once ReverseProxy
// has copied the upstream's trailers into it, every forbidden trailer it
// added under http.TrailerPrefix: trailers that were not announced, or not
// all of them. ModifyResponse cannot, since the trailers arrive after the
// body; it has already dropped the forbidden announced ones, so that
// ReverseProxy never announces them.
func (s *headerSet) cleanTrailers(h http.Header) {
	for k := range h {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok && s.forbiddenTrailer(name) {
			delete(h, k)
		}
	}
}

// setIdentity adds the identity headers for p. The values share one
// backing array, each capped at one element: one allocation, not six.
func (s *headerSet) setIdentity(h http.Header, p *gatehouse.Principal) {
	v := make([]string, 0, 6)
	set := func(name, value string) {
		v = append(v, value)
		h[name] = v[len(v)-1 : len(v) : len(v)]
	}
	set(s.h.UserID, strconv.FormatInt(p.UserID, 10))
	set(s.h.Role, string(p.Role))
	set(s.h.AuthMethod, string(p.Method))
	set(s.h.Scopes, scopeList(p.Scopes))
	if p.Email != "" && httpguts.ValidHeaderFieldValue(p.Email) {
		set(s.h.Email, p.Email)
	}
	if p.KeyID != "" {
		set(s.h.KeyID, p.KeyID)
	}
}

// scopeList is ss.String() without allocating for zero or one scope.
func scopeList(ss gatehouse.Scopes) string {
	switch len(ss) {
	case 0:
		return ""
	case 1:
		return string(ss[0])
	}
	return ss.String()
}

// dropCookies returns the Cookie header values without Gatehouse's
// cookies; values without one are returned as they are.
func dropCookies(values []string) []string {
	out := values[:0:0]
	for _, v := range values {
		if !strings.Contains(strings.ToLower(v), "gatehouse") {
			out = append(out, v)
			continue
		}
		var kept []string
		for _, c := range strings.Split(v, ";") {
			name, _, _ := strings.Cut(strings.TrimSpace(c), "=")
			if !isGatehouseCookie(name) {
				kept = append(kept, strings.TrimSpace(c))
			}
		}
		if len(kept) > 0 {
			out = append(out, strings.Join(kept, "; "))
		}
	}
	return out
}

// isGatehouseCookie reports whether a cookie name is one of Gatehouse's
// (the session cookie __Host-gatehouse and its kin), in any case and with
// or without a __Host- or __Secure- prefix.
func isGatehouseCookie(name string) bool {
	n := strings.ToLower(name)
	n = strings.TrimPrefix(strings.TrimPrefix(n, "__host-"), "__secure-")
	return strings.HasPrefix(n, "gatehouse")
}
