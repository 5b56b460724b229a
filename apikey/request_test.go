package apikey_test

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

func newKey(t testing.TB) apikey.Key {
	t.Helper()
	k, err := apikey.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestFromRequest(t *testing.T) {
	key := newKey(t).String()
	tests := []struct {
		name    string
		target  string
		headers []string // Authorization values
		want    string
		code    gatehouse.Code // "" for success
	}{
		{name: "none", target: "/"},
		{name: "apikey", target: "/", headers: []string{"apikey " + key}, want: key},
		{name: "Bearer", target: "/", headers: []string{"Bearer " + key}, want: key},
		{name: "Basic", target: "/", headers: []string{basic("apikey", key)}, want: key},
		{name: "scheme case apikey", target: "/", headers: []string{"APIKEY " + key}, want: key},
		{name: "scheme case bearer", target: "/", headers: []string{"bEaReR " + key}, want: key},
		{name: "scheme case basic", target: "/", headers: []string{strings.Replace(basic("apikey", key), "Basic", "bASIC", 1)}, want: key},
		{name: "surrounding spaces", target: "/", headers: []string{"  Bearer    " + key + "  "}, want: key},
		{name: "tab separator", target: "/", headers: []string{"Bearer\t" + key}, want: key},
		{name: "unrelated query", target: "/?page=2&key=title&token=abc", headers: []string{"Bearer " + key}, want: key},

		{name: "two Authorization headers", target: "/", headers: []string{"Bearer " + key, "Bearer " + key}, code: gatehouse.CodeInvalid},
		{name: "key in api_key", target: "/?api_key=x", code: gatehouse.CodeInvalid},
		{name: "key in API_KEY with header", target: "/?API_KEY=" + key, headers: []string{"Bearer " + key}, code: gatehouse.CodeInvalid},
		{name: "key in access_token", target: "/?access_token=" + key, code: gatehouse.CodeInvalid},
		{name: "key in apikey", target: "/?a=1&apikey=" + key, code: gatehouse.CodeInvalid},
		{name: "key value under any name", target: "/?q=" + key, code: gatehouse.CodeInvalid},
		{name: "key value escaped", target: "/?q=%67atehouse%5f" + key[10:], code: gatehouse.CodeInvalid},
		{name: "key value upper case", target: "/?q=GATEHOUSE_" + key[10:], code: gatehouse.CodeInvalid},
		{name: "key value broken escape", target: "/?q=" + key + "%zz", code: gatehouse.CodeInvalid},
		{name: "escaped name", target: "/?api%5Fkey=1", code: gatehouse.CodeInvalid},
		{name: "Basic other user", target: "/", headers: []string{basic("admin", key)}, code: gatehouse.CodeInvalid},
		{name: "Basic key as user", target: "/", headers: []string{basic(key, "")}, code: gatehouse.CodeInvalid},
		{name: "Basic user case", target: "/", headers: []string{basic("APIKEY", key)}, code: gatehouse.CodeInvalid},
		{name: "Basic no colon", target: "/", headers: []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(key))}, code: gatehouse.CodeInvalid},
		{name: "Basic bad base64", target: "/", headers: []string{"Basic !!!"}, code: gatehouse.CodeInvalid},
		{name: "Basic unpadded", target: "/", headers: []string{"Basic " + strings.TrimRight(base64.StdEncoding.EncodeToString([]byte("apikey:"+key+"x")), "=")}, code: gatehouse.CodeInvalid},
		{name: "Basic empty key", target: "/", headers: []string{basic("apikey", "")}, code: gatehouse.CodeUnauthenticated},
		{name: "Digest", target: "/", headers: []string{`Digest username="apikey"`}, code: gatehouse.CodeUnauthenticated},
		{name: "scheme only", target: "/", headers: []string{"Bearer"}, code: gatehouse.CodeUnauthenticated},
		{name: "scheme and spaces", target: "/", headers: []string{"Bearer   "}, code: gatehouse.CodeUnauthenticated},
		{name: "empty header", target: "/", headers: []string{""}, code: gatehouse.CodeUnauthenticated},
		{name: "bare key", target: "/", headers: []string{key}, code: gatehouse.CodeUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			got, err := apikey.FromRequest(r)
			if code := gatehouse.ErrorCode(err); code != tt.code {
				t.Fatalf("FromRequest error = %v, want code %q", err, tt.code)
			}
			if got != tt.want {
				t.Fatalf("FromRequest = %q, want %q", got, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), key[27:]) {
				t.Errorf("error %q echoes the key", err)
			}
		})
	}
}

func TestFromRequestDoesNotAllocate(t *testing.T) {
	key := newKey(t).String()
	r := httptest.NewRequest(http.MethodGet, "/posts?page=2", nil)
	r.Header.Set("Authorization", "Bearer "+key)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := apikey.FromRequest(r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("FromRequest allocates %v times", allocs)
	}
}

func TestParseDoesNotAllocate(t *testing.T) {
	key := newKey(t).String()
	allocs := testing.AllocsPerRun(100, func() {
		k, err := apikey.Parse(key)
		if err != nil {
			t.Fatal(err)
		}
		_ = apikey.Hash(k.String())
	})
	if allocs != 0 {
		t.Fatalf("Parse and Hash allocate %v times", allocs)
	}
}

func TestQueryCredential(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{"", false},
		{"page=2", false},
		{"key=title&token=next", false},
		{"api_key=", false},
		{"api_key", false},
		{"api_key=1", true},
		{"Access_Token=1", true},
		{"api-key=1", true},
		{"x=1&token=gatehouse_abc", true},
		{"x=+gatehouse_abc", true},
		{"gatehouse_abc", true},
		{"x=1&Gatehouse_abc=1", true},
		{"x=gatehouse", false},
	}
	for _, tt := range tests {
		if got := apikey.QueryCredential(tt.raw); got != tt.want {
			t.Errorf("QueryCredential(%q) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}
