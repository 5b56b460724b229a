package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// Proxies are the peers whose X-Forwarded-For and X-Forwarded-Proto
// headers are believed. The zero value trusts nobody: the client address
// is the TCP peer's, whatever the request says.
type Proxies struct {
	prefixes []netip.Prefix
}

// ParseProxies parses addresses and CIDR prefixes ("10.0.0.0/8", "::1").
func ParseProxies(list []string) (Proxies, error) {
	var p Proxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return Proxies{}, fmt.Errorf("%q is not an IP address or CIDR prefix", s)
			}
			s = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()).String()
		}
		pre, err := netip.ParsePrefix(s)
		if err != nil {
			return Proxies{}, fmt.Errorf("%q is not an IP address or CIDR prefix", s)
		}
		p.prefixes = append(p.prefixes, pre.Masked())
	}
	return p, nil
}

// Empty reports whether no proxy is trusted.
func (p Proxies) Empty() bool { return len(p.prefixes) == 0 }

func (p Proxies) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, pre := range p.prefixes {
		if pre.Contains(addr) {
			return true
		}
	}
	return false
}

// TrustsPeer reports whether r comes straight from a trusted proxy, whose
// X-Forwarded-* headers may then be passed on.
func (p Proxies) TrustsPeer(r *http.Request) bool { return !p.Empty() && p.trusted(peer(r)) }

func peer(r *http.Request) netip.Addr {
	_, a := peerHost(r)
	return a.Unmap()
}

// peerHost returns the TCP peer's host as RemoteAddr gives it, and that
// host parsed (the zero Addr when it is not an address).
func peerHost(r *http.Request) (string, netip.Addr) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return host, a
}

// ClientAddr returns the client's address: the TCP peer's, or, when the
// peer is a trusted proxy, the rightmost X-Forwarded-For entry that is not
// itself a trusted proxy.
func (p Proxies) ClientAddr(r *http.Request) string {
	host, raw := peerHost(r)
	a := raw.Unmap()
	if !p.trusted(a) {
		if raw.Is4() {
			// netip parses only the canonical dotted form of an IPv4
			// address, so host is what String would return: this spares
			// an allocation on every request.
			return host
		}
		return a.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !p.trusted(h) {
			return h.Unmap().String()
		}
		a = h
	}
	return a.Unmap().String()
}

// PlainHTTP guards a plain-HTTP listener that serves the API behind a
// TLS-terminating load balancer (--insecure-behind-proxy): only trusted
// proxies may call it, and only for requests the proxy received over
// HTTPS; anything else is refused or redirected, so the API is never
// served in clear text to the client.
func (p Proxies) PlainHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.trusted(peer(r)) {
			problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeForbidden,
				"Plain HTTP is accepted only from the configured trusted proxies."))
			return
		}
		if !strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https") {
			redirectToHTTPS(w, r, "")
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Scheme = "https"
		next.ServeHTTP(w, r2)
	})
}
