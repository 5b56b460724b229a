package server

import (
	"net"
	"net/http"
	"regexp"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// RedirectHandler is the plain-HTTP listener's handler: it answers every
// request with a permanent redirect to the same path over HTTPS on
// httpsPort ("" or "443" for the default port). acme, when not nil,
// serves ACME HTTP-01 challenges first (it is given the redirect as its
// fallback).
func RedirectHandler(httpsPort string, acme func(fallback http.Handler) http.Handler) http.Handler {
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirectToHTTPS(w, r, httpsPort)
	})
	if acme != nil {
		h = acme(h)
	}
	return securityHeaders(h)
}

var hostName = regexp.MustCompile(`^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$`)

// redirectToHTTPS answers 308 to the HTTPS URL of r. A Host header that is
// not a plain host name gets 400: it would be echoed into Location.
func redirectToHTTPS(w http.ResponseWriter, r *http.Request, httpsPort string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
		if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
			host = "[" + h + "]"
		}
	}
	if !hostName.MatchString(host) {
		problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeInvalid, "The Host header is not a host name."))
		return
	}
	if httpsPort != "" && httpsPort != "443" {
		host = net.JoinHostPort(trimBrackets(host), httpsPort)
	}
	target := "https://" + host + r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, target, http.StatusPermanentRedirect)
}

func trimBrackets(h string) string {
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		return h[1 : len(h)-1]
	}
	return h
}
