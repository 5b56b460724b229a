package apikey_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

// FuzzParse checks that Parse never panics, accepts only texts of the key
// format, and round-trips every key New makes from the fuzzed randomness.
func FuzzParse(f *testing.F) {
	k, err := apikey.New(bytes.NewReader(make([]byte, 42)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(k.String(), make([]byte, 42))
	f.Add("gatehouse_", []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"))
	f.Add(strings.ToUpper(k.String()), []byte{})
	f.Fuzz(func(t *testing.T, text string, random []byte) {
		p, err := apikey.Parse(text)
		if err == nil {
			if p.String() != text || !apikey.ValidID(p.ID) || !strings.HasPrefix(text, apikey.DisplayPrefix(p.ID)+"_") {
				t.Fatalf("Parse accepted %q as %q", text, p.ID)
			}
		} else if gatehouse.ErrorCode(err) != gatehouse.CodeUnauthenticated {
			t.Fatalf("Parse error code %q", gatehouse.ErrorCode(err))
		} else if len(text) > 20 && strings.Contains(err.Error(), text) {
			t.Fatalf("error echoes the input")
		}
		k, err := apikey.New(bytes.NewReader(random))
		if err != nil {
			if len(random) >= 42 {
				t.Fatalf("New with %d bytes: %v", len(random), err)
			}
			return
		}
		back, err := apikey.Parse(k.String())
		if err != nil || back != k {
			t.Fatalf("Parse(New().String()) = %v, %v", back.ID, err)
		}
	})
}

// FuzzParseAuthorization checks the header parser and the Basic decoder:
// no panics, every accepted credential is non-empty and came from the
// header, and a Basic header made from a key yields that key.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"Bearer gatehouse_x", "apikey  k ", "Basic YXBpa2V5OmtleQ==", "Basic !!", "Digest a=b",
		"", " ", "Basic", "bearer\tx", "Basic YWRtaW46a2V5", "Basic YXBpa2V5Og==",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got, err := apikey.ParseAuthorization(value)
		if err != nil {
			if c := gatehouse.ErrorCode(err); c != gatehouse.CodeInvalid && c != gatehouse.CodeUnauthenticated {
				t.Fatalf("error code %q", c)
			}
			return
		}
		if got == "" {
			t.Fatalf("%q: no error and no credential", value)
		}
		if !strings.Contains(value, got) && !strings.HasPrefix(strings.ToLower(strings.TrimSpace(value)), "basic") {
			t.Fatalf("%q: credential %q is not in the header", value, got)
		}
		if strings.Trim(value, " \t") == "" {
			t.Fatal("blank header accepted")
		}
		// A Basic header built from what was accepted yields it again.
		again, err := apikey.ParseAuthorization("Basic " + base64.StdEncoding.EncodeToString([]byte("apikey:"+got)))
		if err != nil || again != got {
			t.Fatalf("Basic round trip of %q = %q, %v", got, again, err)
		}
	})
}

// FuzzFromRequest checks whole requests: query and headers together.
func FuzzFromRequest(f *testing.F) {
	f.Add("page=2", "Bearer x", "")
	f.Add("api_key=x", "", "")
	f.Add("q=%67atehouse_", "apikey y", "Bearer z")
	f.Add("%zz=gatehouse_&", "Basic YXBpa2V5OmtleQ==", "")
	f.Fuzz(func(t *testing.T, query, h1, h2 string) {
		r, err := http.NewRequest(http.MethodGet, "https://example.test/p", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.URL.RawQuery = query
		for _, h := range []string{h1, h2} {
			if h != "" {
				r.Header.Add("Authorization", h)
			}
		}
		got, err := apikey.FromRequest(r)
		switch {
		case apikey.QueryCredential(query) && err == nil:
			t.Fatalf("query %q accepted", query)
		case h1 != "" && h2 != "" && err == nil:
			t.Fatal("two Authorization headers accepted")
		case h1 == "" && h2 == "" && got != "":
			t.Fatalf("credential %q without a header", got)
		case err != nil && got != "":
			t.Fatal("credential returned with an error")
		}
	})
}
