package session_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
)

// hashOf is what the store keeps of a token.
func hashOf(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// TestSessionTokenNeverStored reads every byte of the SQLite database
// (the main file, its WAL and shared memory) after a sign-in, a use and a
// login flow: neither the session token nor the login cookie's value
// appear, in text or decoded, while the session's hash does (so the scan
// does see the rows).
func TestSessionTokenNeverStored(t *testing.T) {
	e := newEnv(t, backends[0], nil)
	b := e.browser()
	b.signIn(e.user(gatehouse.RoleAuthor))
	b.get("/me")
	if err := e.m.Flush(ctx(t)); err != nil {
		t.Fatal(err)
	}
	token := b.cookie(session.CookieName)
	_, login := b.begin(flowState())
	var all []byte
	files, _ := filepath.Glob(filepath.Join(e.dir, "*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, data...)
	}
	h := hashOf(token)
	if !bytes.Contains(all, h[:]) {
		t.Fatalf("the session's hash is not in the %d bytes of %v: the scan proves nothing", len(all), files)
	}
	for name, secret := range map[string]string{"session token": token, "login cookie": login} {
		raw, err := base64.RawURLEncoding.DecodeString(secret)
		if err != nil || len(raw) != 32 {
			t.Fatalf("%s %q is not 32 bytes of base64url: %v", name, secret, err)
		}
		if bytes.Contains(all, []byte(secret)) || bytes.Contains(all, raw) {
			t.Errorf("the %s is in the database files", name)
		}
	}
}
