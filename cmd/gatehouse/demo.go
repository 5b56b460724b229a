package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

// seedDemo fills the store with the blog's demo users and posts, and gives
// each demo user a read key and a read-write key. The keys are printed the
// one time they are made; later starts find them and print nothing.
func seedDemo(ctx context.Context, e env, st migrator, keys *keyring.Service) error {
	demo, err := blog.Seed(ctx, st, st)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, u := range []*gatehouse.User{demo.Editor, demo.Author, demo.Reader} {
		if err := demoKeys(ctx, e, keys, u); err != nil {
			return err
		}
	}
	return nil
}

// demoVar is the shell variable a demo key is printed as: EDITOR_READ for
// the editor's read key, AUTHOR_RW for the author's read-write key.
func demoVar(u *gatehouse.User, label string) string {
	name := strings.ToUpper(string(u.Role))
	if strings.HasSuffix(label, "read-write") {
		return name + "_RW"
	}
	return name + "_READ"
}

func demoKeys(ctx context.Context, e env, keys *keyring.Service, u *gatehouse.User) error {
	existing, err := keys.List(ctx, u.ID)
	if err != nil || len(existing) > 0 {
		return err
	}
	fmt.Fprintf(e.stdout, "# demo keys of %s, shown this once:\n", u.Email)
	for _, k := range []struct {
		label  string
		scopes []string
	}{{"demo read", []string{"read"}}, {"demo read-write", []string{"read", "write", "keys"}}} {
		if !u.Role.Allows(gatehouse.ScopeWrite) && len(k.scopes) > 1 {
			continue // a reader's keys cannot write
		}
		c, err := keys.Create(ctx, keyring.Actor{}, u.ID, keyring.CreateRequest{Label: k.label, Scopes: k.scopes})
		if err != nil {
			return fmt.Errorf("demo key for %s: %w", u.Email, err)
		}
		fmt.Fprintf(e.stdout, "%s=%s\n", demoVar(u, k.label), c.Secret)
	}
	return nil
}
