package policy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/policy"
)

// newDefault returns an Authorizer with the embedded policy.
func newDefault(tb testing.TB) *policy.Authorizer {
	tb.Helper()
	a, err := policy.New(policy.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func user(id int64, role gatehouse.Role) *gatehouse.Principal {
	return &gatehouse.Principal{UserID: id, Role: role, Scopes: gatehouse.NewScopes(gatehouse.ScopeRead, gatehouse.ScopeWrite)}
}

var actions = []policy.Action{policy.Read, policy.Create, policy.Edit, policy.Publish, policy.Delete}

// allowed returns the initials of the actions the principal may do to r,
// in the order of actions: "r", "c", "e", "p", "d" or "-".
func allowed(t *testing.T, a *policy.Authorizer, p *gatehouse.Principal, r policy.Resource) string {
	t.Helper()
	var b strings.Builder
	for _, act := range actions {
		ok, err := a.Can(context.Background(), p, act, r)
		if err != nil {
			t.Fatalf("Can(%v, %s, %+v): %v", p, act, r, err)
		}
		if ok {
			b.WriteByte(string(act)[0])
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// TestCan spells out the blog's rules, one caller and post at a time. The
// author of both posts is user 2.
func TestCan(t *testing.T) {
	a := newDefault(t)
	published := policy.Resource{ID: 10, AuthorID: 2, Status: "published"}
	draft := policy.Resource{ID: 11, AuthorID: 2, Status: "draft"}
	tests := []struct {
		name     string
		who      *gatehouse.Principal
		resource policy.Resource
		want     string // read, create, edit, publish, delete
	}{
		{"anonymous, published", nil, published, "r----"},
		{"anonymous, draft", nil, draft, "-----"},
		{"reader, published", user(1, gatehouse.RoleReader), published, "r----"},
		{"reader, draft", user(1, gatehouse.RoleReader), draft, "-----"},
		{"reader who wrote it, draft", user(2, gatehouse.RoleReader), draft, "-----"},
		{"author of it, published", user(2, gatehouse.RoleAuthor), published, "rce-d"},
		{"author of it, draft", user(2, gatehouse.RoleAuthor), draft, "rce-d"},
		{"other author, published", user(3, gatehouse.RoleAuthor), published, "rc---"},
		{"other author, draft", user(3, gatehouse.RoleAuthor), draft, "-c---"},
		{"editor, published", user(4, gatehouse.RoleEditor), published, "rcepd"},
		{"editor, draft", user(4, gatehouse.RoleEditor), draft, "rcepd"},
		{"admin, draft", user(5, gatehouse.RoleAdmin), draft, "rcepd"},
		{"unknown status", user(3, gatehouse.RoleAuthor), policy.Resource{ID: 12, AuthorID: 2, Status: "Published"}, "-c---"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := allowed(t, a, tt.who, tt.resource); got != tt.want {
				t.Errorf("allowed = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCanRefusesWhatItCannotDecide: an unknown role or action is a denial
// with an internal error, never an answer from a partial request.
func TestCanRefusesWhatItCannotDecide(t *testing.T) {
	a := newDefault(t)
	post := policy.Resource{ID: 1, AuthorID: 2, Status: "published"}
	tests := []struct {
		name   string
		who    *gatehouse.Principal
		action policy.Action
	}{
		{"unknown role", user(2, gatehouse.Role("superuser")), policy.Read},
		{"empty role", user(2, ""), policy.Read},
		{"unknown action", user(4, gatehouse.RoleEditor), policy.Action("frob")},
		{"action differing in case", user(4, gatehouse.RoleEditor), policy.Action("Read")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := a.Can(context.Background(), tt.who, tt.action, post)
			if ok || err == nil {
				t.Fatalf("Can = %v, %v; want false and an error", ok, err)
			}
			if gatehouse.ErrorCode(err) != gatehouse.CodeInternal {
				t.Errorf("code = %q, want internal", gatehouse.ErrorCode(err))
			}
		})
	}
}

// TestTrapCedarSkipsErroringForbid guards against SECURITY.md's Cedar
// trap: Cedar skips a policy whose evaluation errors, so a forbid that
// errors (here on integer overflow, which validation cannot see) would
// stop applying and the permit would win. Can must deny instead.
func TestTrapCedarSkipsErroringForbid(t *testing.T) {
	src := string(policy.Default()) + `
forbid (principal, action == Action::"read", resource is Post)
when { 9223372036854775807 + 1 > 0 };
`
	a, err := policy.Load([]byte(src), "overflow.cedar")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := a.Can(context.Background(), user(4, gatehouse.RoleEditor), policy.Read, policy.Resource{ID: 1, AuthorID: 2, Status: "published"})
	if ok {
		t.Fatal("an erroring forbid was skipped: the request was allowed")
	}
	if err == nil || !strings.Contains(err.Error(), "overflow.cedar:") {
		t.Errorf("err = %v, want the evaluation error with its position", err)
	}
}

// TestReplacedPolicyDecides: a policy given to Load, not the embedded one,
// makes the decisions.
func TestReplacedPolicyDecides(t *testing.T) {
	a, err := policy.Load([]byte(`permit (principal, action == Action::"read", resource is Post) when { resource.status == "draft" };`), "drafts.cedar")
	if err != nil {
		t.Fatal(err)
	}
	got := allowed(t, a, nil, policy.Resource{ID: 1, AuthorID: 2, Status: "draft"})
	if got != "r----" {
		t.Errorf("anonymous on a draft = %q, want %q", got, "r----")
	}
	if got := allowed(t, a, user(4, gatehouse.RoleEditor), policy.Resource{ID: 1, AuthorID: 2, Status: "published"}); got != "-----" {
		t.Errorf("editor on a published post = %q, want %q", got, "-----")
	}
}

func BenchmarkCan(b *testing.B) {
	a := newDefault(b)
	p := user(3, gatehouse.RoleAuthor)
	r := policy.Resource{ID: 10, AuthorID: 3, Status: "draft"}
	ctx := context.Background()
	for b.Loop() {
		if ok, err := a.Can(ctx, p, policy.Edit, r); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
