package storetest

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// fixtures creates users and keys in one store.
type fixtures struct {
	t     *testing.T
	s     gatehouse.Store
	names counter
}

func newFixtures(t *testing.T, s gatehouse.Store) *fixtures {
	return &fixtures{t: t, s: s}
}

// user creates a person with a unique subject and an email built from it.
func (f *fixtures) user() *gatehouse.User {
	f.t.Helper()
	sub := f.names.next("sub")
	u := &gatehouse.User{
		Issuer:  "https://idp.example",
		Subject: sub,
		Kind:    gatehouse.KindPerson,
		Email:   sub + "@example.com",
		Name:    "User " + sub,
		Role:    gatehouse.RoleAuthor,
	}
	noErr(f.t, "CreateUser", f.s.CreateUser(f.t.Context(), u))
	return u
}

// key creates a key of owner with the given label and every field set
// except the ones a new key lacks.
func (f *fixtures) key(owner int64, label string, created time.Time) *gatehouse.APIKey {
	f.t.Helper()
	k := &gatehouse.APIKey{
		ID:      f.names.next("kid"),
		UserID:  owner,
		Label:   label,
		Prefix:  "gh_" + label,
		Hash:    randomHash(),
		Scopes:  gatehouse.NewScopes(gatehouse.ScopeRead, gatehouse.ScopeKeys, "blog.posts:write"),
		Created: created,
	}
	noErr(f.t, "CreateKey", f.s.CreateKey(f.t.Context(), k))
	return k
}

// get reads key id.
func (f *fixtures) get(id string) *gatehouse.APIKey {
	f.t.Helper()
	k, err := f.s.Key(f.t.Context(), id)
	noErr(f.t, "Key", err)
	return k
}
