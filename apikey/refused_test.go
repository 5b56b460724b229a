package apikey_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-dev/gatehouse/apikey"
)

// TestRefusedKeyID: a key refused for where it was sent is named by its
// id when it is well-formed, and FromRequest's error says which refusal
// it was.
func TestRefusedKeyID(t *testing.T) {
	k := newKey(t)
	key := k.String()
	wrongSum := flipAt(key, len(key)-1) // the checksum's last character changed
	tests := []struct {
		name   string
		target string
		auth   string
		err    error // FromRequest's error
		id     string
	}{
		{"query value", "/?api_key=" + key, "", apikey.ErrKeyInQuery, k.ID},
		{"query, generic name", "/?token=" + key, "", apikey.ErrKeyInQuery, k.ID},
		{"query name", "/?" + key, "", apikey.ErrKeyInQuery, k.ID},
		{"query junk", "/?api_key=junk", "", apikey.ErrKeyInQuery, ""},
		{"query checksum wrong", "/?api_key=" + wrongSum, "", apikey.ErrKeyInQuery, ""},
		{"Basic other user", "/", basic("admin", key), apikey.ErrBasicUser, k.ID},
		{"Basic key as user", "/", basic(key, ""), apikey.ErrBasicUser, k.ID},
		{"Basic tab", "/", "basic\t" + basic("root", key)[6:], apikey.ErrBasicUser, k.ID},
		{"Basic other user, junk", "/", basic("admin", "x"), apikey.ErrBasicUser, ""},
		{"accepted Basic", "/", basic("apikey", key), nil, ""},
		{"Bearer", "/", "Bearer " + key, nil, ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", tt.target, nil)
		if tt.auth != "" {
			r.Header.Set("Authorization", tt.auth)
		}
		if _, err := apikey.FromRequest(r); !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
			t.Errorf("%s: FromRequest error %v, want %v", tt.name, err, tt.err)
		}
		if tt.err == nil {
			continue
		}
		if got := apikey.RefusedKeyID(r); got != tt.id {
			t.Errorf("%s: RefusedKeyID %q, want %q", tt.name, got, tt.id)
		}
	}
}
