package apikey_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-dev/gatehouse/apikey"
)

func BenchmarkParse(b *testing.B) {
	text := newKey(b).String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apikey.Parse(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	text := newKey(b).String()
	b.ReportAllocs()
	for b.Loop() {
		_ = apikey.Hash(text)
	}
}

func BenchmarkFromRequest(b *testing.B) {
	key := newKey(b).String()
	for _, tt := range []struct{ name, header string }{
		{"Bearer", "Bearer " + key},
		{"Basic", basic("apikey", key)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/posts?page=2", nil)
			r.Header.Set("Authorization", tt.header)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := apikey.FromRequest(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
