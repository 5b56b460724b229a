package blog_test

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/policy"
)

// TestPolicyErrorDenies: when a policy cannot be evaluated (here a forbid
// that overflows, which Cedar would skip), the service refuses with an
// internal error instead of answering from the policies that did run.
func TestPolicyErrorDenies(t *testing.T) {
	s := openSQLite(t)
	_, editor := mustUser(t, s, gatehouse.RoleEditor)
	p := mustPost(t, s, editor.UserID, blog.Published, "Hello")
	src := string(policy.Default()) + "\nforbid (principal, action, resource is Post) when { 9223372036854775807 + 1 > 0 };\n"
	a, err := policy.Load([]byte(src), "overflow.cedar")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := blog.NewService(blog.Config{Store: s, Authorizer: a})
	if err != nil {
		t.Fatal(err)
	}
	_, getErr := svc.Get(t.Context(), editor, p.ID)
	_, listErr := svc.List(t.Context(), nil, blog.Page{})
	_, editErr := svc.Update(t.Context(), editor, p.ID, nil, blog.Edit{})
	for name, err := range map[string]error{"get": getErr, "list": listErr, "update": editErr} {
		if gatehouse.ErrorCode(err) != gatehouse.CodeInternal {
			t.Errorf("%s: %v; want an internal error", name, err)
		}
	}
}

func TestNewServiceNeedsDependencies(t *testing.T) {
	if _, err := blog.NewService(blog.Config{}); err == nil {
		t.Error("NewService accepted a Config without a Store and an Authorizer")
	}
}
