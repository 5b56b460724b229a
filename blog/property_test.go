package blog_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/policy"
)

// warnings counts the records at warning level or above.
type warnings struct{ n atomic.Int64 }

func (w *warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.n.Add(1)
	}
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

// TestListAgreesWithPolicy builds random users (roles) and posts (authors,
// statuses) and checks, for every user and an anonymous caller, that List
// returns exactly the posts for which Can(read) holds, page by page. The
// Service re-checks listed posts with Can and logs a warning for any post
// the SQL filter selected but the policy refuses; no warning may appear,
// so the SQL filter alone agrees with the policy in both directions.
//
// The "replaced policy" cases run the same check with a valid policy that
// is not blog.cedar: the default plus a rule letting readers read one
// author's drafts, which the SQL filter derived from sample posts cannot
// express.
func TestListAgreesWithPolicy(t *testing.T) {
	for _, b := range backends {
		for _, replaced := range []bool{false, true} {
			name := b.name
			if replaced {
				name += "/replaced policy"
			}
			t.Run(name, func(t *testing.T) {
				seed := rand.Uint64()
				t.Logf("seed %d", seed)
				rng := rand.New(rand.NewPCG(seed, seed))
				for round := range 4 {
					checkListAgrees(t, b.open(t), rng, round, replaced)
				}
			})
		}
	}
}

func checkListAgrees(t *testing.T, s store, rng *rand.Rand, round int, replaced bool) {
	callers := []*gatehouse.Principal{nil} // anonymous
	for range 2 + rng.IntN(6) {
		_, p := mustUser(t, s, gatehouse.Roles[rng.IntN(len(gatehouse.Roles))])
		callers = append(callers, p)
	}
	var posts []*blog.Post
	var src []byte // nil: the embedded policy
	if replaced {
		_, reader := mustUser(t, s, gatehouse.RoleReader)
		_, favoured := mustUser(t, s, gatehouse.RoleAuthor)
		callers = append(callers, reader, favoured)
		posts = append(posts, mustPost(t, s, favoured.UserID, blog.Draft, "a draft readers may read"))
		src = fmt.Appendf(policy.Default(), "\npermit (principal in Role::\"reader\", action == Action::\"read\", resource is Post)\nwhen { resource.author == User::\"%d\" };\n", favoured.UserID)
	}
	authz, err := policy.New(policy.Config{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	var warn warnings
	svc, err := blog.NewService(blog.Config{Store: s, Authorizer: authz, Logger: slog.New(&warn)})
	if err != nil {
		t.Fatal(err)
	}
	for i := range rng.IntN(40) {
		author := callers[1+rng.IntN(len(callers)-1)]
		status := []blog.Status{blog.Draft, blog.Published}[rng.IntN(2)]
		posts = append(posts, mustPost(t, s, author.UserID, status, "post"+string(rune('a'+i%26))))
	}
	for _, who := range callers {
		var want []int64
		for _, p := range slices.Backward(posts) {
			if ok, err := authz.Can(t.Context(), who, policy.Read, policy.Resource{ID: p.ID, AuthorID: p.AuthorID, Status: string(p.Status)}); err != nil {
				t.Fatal(err)
			} else if ok {
				want = append(want, p.ID)
			}
		}
		if got := listAll(t, svc, who, 1+rng.IntN(7)); !slices.Equal(got, want) {
			t.Errorf("round %d, caller %s: List = %v, want %v", round, describe(who), got, want)
		}
	}
	if n := warn.n.Load(); n > 0 {
		t.Errorf("round %d: the SQL filter selected %d posts the policy refuses", round, n)
	}
}

// listAll follows the cursor to the end of the list.
func listAll(t *testing.T, svc *blog.Service, who *gatehouse.Principal, limit int) []int64 {
	var out []int64
	pg := blog.Page{Limit: limit}
	for range 1000 {
		l, err := svc.List(t.Context(), who, pg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ids(l.Posts)...)
		if l.Next == 0 {
			return out
		}
		pg.Before = l.Next
	}
	t.Fatal("the list did not end")
	return nil
}

func describe(p *gatehouse.Principal) string {
	if p == nil {
		return "anonymous"
	}
	return fmt.Sprintf("%s #%d", p.Role, p.UserID)
}

// TestListReplacedPolicyScansInBounds: with a replaced policy, List reads
// at most 1,000 posts per call, so a caller who may read only the oldest
// posts of a long list gets empty pages with a cursor before them, and
// following the cursor still ends with exactly those posts.
func TestListReplacedPolicyScansInBounds(t *testing.T) {
	s := openSQLite(t)
	_, reader := mustUser(t, s, gatehouse.RoleReader)
	_, favoured := mustUser(t, s, gatehouse.RoleAuthor)
	_, other := mustUser(t, s, gatehouse.RoleAuthor)
	var want []int64
	for range 3 {
		want = append([]int64{mustPost(t, s, favoured.UserID, blog.Draft, "readable").ID}, want...)
	}
	for range 1100 {
		mustPost(t, s, other.UserID, blog.Draft, "hidden")
	}
	src := fmt.Appendf(policy.Default(), "\npermit (principal in Role::\"reader\", action == Action::\"read\", resource is Post)\nwhen { resource.author == User::\"%d\" };\n", favoured.UserID)
	authz, err := policy.New(policy.Config{Source: src})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := blog.NewService(blog.Config{Store: s, Authorizer: authz})
	if err != nil {
		t.Fatal(err)
	}
	first, err := svc.List(t.Context(), reader, blog.Page{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Posts) != 0 || first.Next == 0 {
		t.Errorf("first page: %d posts, next %d; want none and a cursor (the scan is bounded)", len(first.Posts), first.Next)
	}
	if got := listAll(t, svc, reader, 2); !slices.Equal(got, want) {
		t.Errorf("List = %v, want %v", got, want)
	}
	// The page that reaches the oldest post has no cursor: a client is not
	// sent on to an empty page.
	pg := blog.Page{Limit: 2, Before: first.Next}
	for range 10 {
		l, err := svc.List(t.Context(), reader, pg)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(l.Posts, func(p *blog.Post) bool { return p.ID == want[len(want)-1] }) {
			if l.Next != 0 {
				t.Errorf("the page with the last post has cursor %d, want none", l.Next)
			}
			return
		}
		if l.Next == 0 {
			t.Fatal("the pages ended before the last readable post")
		}
		pg.Before = l.Next
	}
	t.Fatal("the last readable post is not within 10 pages")
}
