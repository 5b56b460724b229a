package gateway

import "net/http"

// CleanRequestHeaders returns h without what the gateway removes from a
// request before it forwards it, with custom identity header names
// (X-User for the user id) and the assertion header named Caller-Token,
// so that the tests see both the defaults and renamed headers stripped.
func CleanRequestHeaders(h http.Header) http.Header {
	s, err := newHeaderSet(Headers{UserID: "X-User"}, &Assertions{header: "Caller-Token"})
	if err != nil {
		panic(err)
	}
	return s.cleanRequest(h, 0)
}
