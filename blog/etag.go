package blog

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// etag is the strong entity tag of a post's version.
func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// tagVersion reads a strong tag made by etag; ok is false for anything
// else, weak tags included (If-Match compares strongly, RFC 9110 13.1.1).
func tagVersion(tag string) (int64, bool) {
	s, ok := strings.CutPrefix(tag, `"v`)
	if !ok {
		return 0, false
	}
	if s, ok = strings.CutSuffix(s, `"`); !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0 && strconv.FormatInt(v, 10) == s
}

// tags returns the comma-separated members of every line of header h.
func tags(r *http.Request, h string) []string {
	var out []string
	for _, line := range r.Header.Values(h) {
		for t := range strings.SplitSeq(line, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, t)
			}
		}
	}
	return out
}

// ifMatch turns If-Match into a Match: nil without the header or with
// "*" (the post exists, which the Service checks anyway); otherwise the
// versions named, possibly none (a header naming only foreign or weak tags
// matches nothing).
func ifMatch(r *http.Request) Match {
	ts := tags(r, "If-Match")
	if len(ts) == 0 {
		return nil
	}
	m := Match{}
	for _, t := range ts {
		if t == "*" {
			return nil
		}
		if v, ok := tagVersion(t); ok {
			m = append(m, v)
		}
	}
	return m
}

// noneMatch reports whether If-None-Match names the version (weak
// comparison, RFC 9110 13.1.2) or is "*": the client's copy is current.
func noneMatch(r *http.Request, version int64) bool {
	for _, t := range tags(r, "If-None-Match") {
		if v, ok := tagVersion(strings.TrimPrefix(t, "W/")); t == "*" || ok && v == version {
			return true
		}
	}
	return false
}

// cursorPrefix names the cursor's format, so that it can change without
// old cursors being misread. A cursor grants nothing: every listed post is
// still filtered for the caller.
const cursorPrefix = "before:"

// cursor encodes a list position for ?cursor=; 0 (no more) is "".
func cursor(before int64) string {
	if before == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(before, 10)))
}

// pageOf reads ?limit= and ?cursor=.
func pageOf(r *http.Request) (Page, error) {
	q := r.URL.Query()
	var pg Page
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return pg, gatehouse.Errorf(gatehouse.CodeInvalid, "The limit must be a number from 1 to %d.", MaxLimit)
		}
		pg.Limit = n
	}
	if s := q.Get("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		v, ok := strings.CutPrefix(string(b), cursorPrefix)
		n, perr := strconv.ParseInt(v, 10, 64)
		if err != nil || !ok || perr != nil || n < 1 {
			return pg, gatehouse.Errorf(gatehouse.CodeInvalid, "The cursor is not valid.")
		}
		pg.Before = n
	}
	return pg, nil
}
