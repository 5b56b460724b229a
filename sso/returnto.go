package sso

import "strings"

// maxReturnTo bounds the length of a return_to path.
const maxReturnTo = 2048

// ReturnTo returns raw when it is a safe same-origin path to send a browser
// back to after login, and "/" otherwise. It never "repairs" a suspicious
// value: whatever is not plainly a local path becomes "/".
//
// A safe path starts with a single "/" (not "//" or "/\", which browsers
// read as another host), holds only printable ASCII from the URL character
// set without backslashes, quotes or spaces, has no "." or ".." segment, and
// has no percent-escape that decodes to a control character, "/", "\" or "."
// (browsers and servers decode some of those: "/%09/evil.com",
// "/%5cevil.com", "/%2e%2e/"). Schemes ("https:evil.com"), hosts and user
// info ("https://app@evil.com") cannot appear because the value must start
// with "/" and a second "/" is refused.
//
// ReturnTo(ReturnTo(p)) == ReturnTo(p) for every p.
func ReturnTo(raw string) string {
	if !localPath(raw) {
		return "/"
	}
	return raw
}

func localPath(p string) bool {
	if len(p) == 0 || len(p) > maxReturnTo || p[0] != '/' {
		return false
	}
	if len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return false
	}
	for i := 0; i < len(p); i++ {
		if !allowedByte(p[i]) {
			return false
		}
		if p[i] == '%' && !safeEscape(p, i) {
			return false
		}
	}
	return !hasDotSegment(p)
}

// allowedByte reports whether c may appear in a return path: RFC 3986
// unreserved and sub-delimiter characters, ":@/?#%", but not the quotes
// (the path goes into an HTML attribute and a meta refresh), backslash,
// space, "<", ">", or anything outside printable ASCII.
func allowedByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&()*+,;=:@/?#%", c) >= 0
}

// safeEscape reports whether the escape at p[i] is two hex digits that do
// not decode to a control character, a separator or a dot.
func safeEscape(p string, i int) bool {
	if i+2 >= len(p) {
		return false
	}
	hi, ok1 := unhex(p[i+1])
	lo, ok2 := unhex(p[i+2])
	if !ok1 || !ok2 {
		return false
	}
	c := hi<<4 | lo
	return c >= 0x20 && c < 0x7f && c != '/' && c != '\\' && c != '.' && c != '%'
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hasDotSegment reports whether the path part of p (before "?" or "#")
// has a "." or ".." segment, which could climb out of the intended path.
func hasDotSegment(p string) bool {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}
