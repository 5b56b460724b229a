package apikey

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// BasicUser is the only user name accepted with Basic credentials; the
// password is the key.
const BasicUser = "apikey"

// The CodeInvalid errors of FromRequest for a key presented where it is
// never accepted; errors.Is finds them, and RefusedKeyID names the key.
var (
	// ErrKeyInQuery is the error for a key in the query string.
	ErrKeyInQuery error = gatehouse.Errorf(gatehouse.CodeInvalid,
		"API keys are not accepted in the query string, where they leak into logs; send them in the Authorization header")
	// ErrBasicUser is the error for Basic credentials that name another
	// user than BasicUser, or none.
	ErrBasicUser error = gatehouse.Errorf(gatehouse.CodeInvalid,
		"Basic credentials must name the user %q and give the key as the password", BasicUser)
)

// basicMax is the longest Basic credential decoded without allocating: the
// base64 of "apikey:" and a key, with room to spare.
const basicMax = 256

// FromRequest returns the key text a request presents, or ("", nil) when it
// presents none. It reads one Authorization header in any of three forms,
// with the scheme in any case:
//
//	Authorization: apikey KEY
//	Authorization: Bearer KEY
//	Authorization: Basic base64("apikey:" KEY)
//
// The text is not checked: pass it to Parse. Errors:
//   - CodeInvalid: more than one Authorization header; a key in the query
//     string (see QueryCredential), which is refused even with a header,
//     because URLs end up in logs and browser histories (ErrKeyInQuery).
//   - CodeInvalid: Basic credentials that are not base64, or that name
//     another user than BasicUser (ErrBasicUser).
//   - CodeUnauthenticated: an empty header, another scheme (such as Digest),
//     or a scheme without a credential; the caller answers 401 with a
//     challenge that lists the schemes Gatehouse accepts.
//
// It allocates nothing for the apikey and Bearer forms.
func FromRequest(r *http.Request) (string, error) {
	if r.URL != nil && r.URL.RawQuery != "" && QueryCredential(r.URL.RawQuery) {
		return "", ErrKeyInQuery
	}
	values := r.Header["Authorization"]
	switch len(values) {
	case 0:
		return "", nil
	case 1:
		return ParseAuthorization(values[0])
	}
	return "", gatehouse.Errorf(gatehouse.CodeInvalid, "more than one Authorization header")
}

// ParseAuthorization returns the key text in one Authorization header value.
// Its errors are those of FromRequest.
func ParseAuthorization(value string) (string, error) {
	scheme, cred := splitAuthorization(value)
	switch {
	case scheme == "":
		return "", unauthenticated("empty Authorization header")
	case !knownScheme(scheme):
		return "", unauthenticated("unsupported authorization scheme; use Bearer, apikey or Basic")
	case cred == "":
		return "", unauthenticated("Authorization header without a credential")
	case strings.EqualFold(scheme, "basic"):
		return DecodeBasic(cred)
	}
	return cred, nil
}

// splitAuthorization returns the scheme and the credential of an
// Authorization header value, without the blanks around them.
func splitAuthorization(value string) (scheme, cred string) {
	value = trimBlank(value)
	for i := 0; i < len(value); i++ {
		if value[i] == ' ' || value[i] == '\t' {
			return value[:i], trimBlank(value[i+1:])
		}
	}
	return value, ""
}

// trimBlank removes the spaces and tabs around s (HTTP's optional
// whitespace), faster than strings.Trim with a cutset.
func trimBlank(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func knownScheme(s string) bool {
	return strings.EqualFold(s, "bearer") || strings.EqualFold(s, "apikey") || strings.EqualFold(s, "basic")
}

// DecodeBasic returns the key in Basic credentials (the base64 text after
// the scheme), whose user name must be BasicUser. Errors are CodeInvalid
// (ErrBasicUser for another user) and never repeat the input.
func DecodeBasic(cred string) (string, error) {
	var src [basicMax]byte
	var dst [basicMax]byte
	var plain []byte
	if len(cred) <= basicMax {
		n := copy(src[:], cred)
		m, err := base64.StdEncoding.Strict().Decode(dst[:], src[:n])
		if err != nil {
			return "", invalidBasic()
		}
		plain = dst[:m]
	} else {
		b, err := base64.StdEncoding.Strict().DecodeString(cred)
		if err != nil {
			return "", invalidBasic()
		}
		plain = b
	}
	user, pass, ok := bytes.Cut(plain, []byte(":"))
	if !ok || string(user) != BasicUser {
		return "", ErrBasicUser
	}
	if len(pass) == 0 {
		return "", unauthenticated("Basic credentials without a key")
	}
	return string(pass), nil
}

func invalidBasic() error {
	return gatehouse.Errorf(gatehouse.CodeInvalid, "Basic credentials are not valid base64")
}

// QueryCredential reports whether a raw query string carries what looks
// like a credential: a non-empty parameter named api_key, apikey, api-key
// or access_token (in any case), or any name or value that starts with
// Prefix (in any case).
// Generic names such as key and token are refused only with such a value,
// since applications use them for other things.
func QueryCredential(rawQuery string) bool {
	_, ok := queryCredential(rawQuery)
	return ok
}

// queryCredential returns the first name or value of rawQuery that
// QueryCredential takes for a credential, trimmed.
func queryCredential(rawQuery string) (string, bool) {
	for rawQuery != "" {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		name, value, _ := strings.Cut(pair, "=")
		name, value = unescape(name), unescape(value)
		if hasPrefixFold(strings.TrimSpace(name), Prefix) {
			return strings.TrimSpace(name), true
		}
		if value != "" && (credentialParam(name) || hasPrefixFold(strings.TrimSpace(value), Prefix)) {
			return strings.TrimSpace(value), true
		}
	}
	return "", false
}

// RefusedKeyID returns the id of the well-formed key (see Parse) that r
// presents where FromRequest refuses it, with ErrKeyInQuery or
// ErrBasicUser: in the query string, or in Basic credentials that name
// another user (as the password, or as the user name). It returns "" when
// there is no such key. Call it only for a request that FromRequest
// refused with one of those errors. The id is public, so that the refusal can be
// audited under the key's display prefix; the secret never leaves here.
func RefusedKeyID(r *http.Request) string {
	if r.URL != nil {
		if text, ok := queryCredential(r.URL.RawQuery); ok {
			return parsedID(text)
		}
	}
	values := r.Header["Authorization"]
	if len(values) != 1 {
		return ""
	}
	scheme, cred := splitAuthorization(values[0])
	if !strings.EqualFold(scheme, "basic") {
		return ""
	}
	plain, err := base64.StdEncoding.Strict().DecodeString(cred)
	if err != nil {
		return ""
	}
	user, pass, _ := bytes.Cut(plain, []byte(":"))
	if id := parsedID(string(pass)); id != "" {
		return id
	}
	return parsedID(string(user))
}

// parsedID returns the id of text if it is a well-formed key, else "".
func parsedID(text string) string {
	k, err := Parse(text)
	if err != nil {
		return ""
	}
	return k.ID
}

func credentialParam(name string) bool {
	for _, n := range [...]string{"api_key", "apikey", "api-key", "access_token"} {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// unescape decodes a query component; one that cannot be decoded is kept
// as it is, so that a broken escape cannot hide a key.
func unescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}
