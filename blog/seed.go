package blog

import (
	"context"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
)

// Demo is what Seed made or found.
type Demo struct {
	Editor, Author, Reader *gatehouse.User
	// Posts are the posts this call made, oldest first: the editor's
	// published welcome, the author's published post and the author's
	// draft. It is empty when the demo posts existed already.
	Posts []*Post
}

// demoUsers are the demo people, invited by email (IssuerInvited).
var demoUsers = []struct {
	email, name string
	role        gatehouse.Role
}{
	{"editor@example.com", "Erin Editor", gatehouse.RoleEditor},
	{"author@example.com", "Ada Author", gatehouse.RoleAuthor},
	{"reader@example.com", "Rex Reader", gatehouse.RoleReader},
}

// Seed fills an empty deployment with demo data and returns it:
//
//   - three people, invited by email (IssuerInvited): editor@example.com
//     (editor), author@example.com (author) and reader@example.com (reader);
//   - "Welcome to the blog", published, by the editor;
//   - "Hello from Ada", published, by the author;
//   - "Notes for next week", a draft, by the author.
//
// It is idempotent: users that exist are reused (their role is left as it
// is), and the posts are made only when the demo author has none. It makes
// no API keys.
func Seed(ctx context.Context, users gatehouse.UserStore, posts PostStore) (*Demo, error) {
	var us [3]*gatehouse.User
	for i, d := range demoUsers {
		u, err := demoUser(ctx, users, d.email, d.name, d.role)
		if err != nil {
			return nil, err
		}
		us[i] = u
	}
	demo := &Demo{Editor: us[0], Author: us[1], Reader: us[2]}
	existing, err := posts.Posts(ctx, Filter{AuthorID: demo.Author.ID, Limit: 1})
	if err != nil || len(existing) > 0 {
		return demo, wrapSeed(err)
	}
	for _, p := range []*Post{
		{AuthorID: demo.Editor.ID, Status: Published, Title: "Welcome to the blog", Body: "Anyone can read this post.\n\nOnly editors may change it."},
		{AuthorID: demo.Author.ID, Status: Published, Title: "Hello from Ada", Body: "My first post. I may edit it; so may the editors."},
		{AuthorID: demo.Author.ID, Status: Draft, Title: "Notes for next week", Body: "A draft: only Ada and the editors see it."},
	} {
		if err := posts.CreatePost(ctx, p); err != nil {
			return nil, wrapSeed(err)
		}
		demo.Posts = append(demo.Posts, p)
	}
	return demo, nil
}

// demoUser returns the invited user with the email, creating it if needed.
func demoUser(ctx context.Context, users gatehouse.UserStore, email, name string, role gatehouse.Role) (*gatehouse.User, error) {
	u, err := users.UserByIdentity(ctx, gatehouse.IssuerInvited, email)
	if gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		return u, wrapSeed(err)
	}
	u = &gatehouse.User{Issuer: gatehouse.IssuerInvited, Subject: email, Kind: gatehouse.KindPerson, Email: email, Name: name, Role: role}
	return u, wrapSeed(users.CreateUser(ctx, u))
}

func wrapSeed(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("blog: seed: %w", err)
}
