package blog_test

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
)

// BenchmarkListPosts100 lists a page of 100 posts through the Service on
// each backend: the SQL filter, then one policy decision per post. The
// PostgreSQL variant is skipped without GATEHOUSE_TEST_POSTGRES.
func BenchmarkListPosts100(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) { benchListPosts100(b, be.open(b)) })
	}
}

func benchListPosts100(b *testing.B, s store) {
	_, author := mustUser(b, s, gatehouse.RoleAuthor)
	for i := range 150 {
		status := blog.Published
		if i%3 == 0 {
			status = blog.Draft
		}
		mustPost(b, s, author.UserID, status, "A post")
	}
	svc := newService(b, s, blog.Config{})
	for b.Loop() {
		l, err := svc.List(b.Context(), author, blog.Page{Limit: 100})
		if err != nil || len(l.Posts) != 100 {
			b.Fatal(len(l.Posts), err)
		}
	}
}
