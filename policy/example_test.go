package policy_test

import (
	"context"
	"fmt"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/policy"
)

func ExampleAuthorizer_Can() {
	a, err := policy.New(policy.Config{}) // the embedded blog.cedar
	if err != nil {
		panic(err)
	}
	author := &gatehouse.Principal{UserID: 7, Role: gatehouse.RoleAuthor}
	draft := policy.Resource{ID: 1, AuthorID: 7, Status: "draft"}
	ctx := context.Background()

	own, _ := a.Can(ctx, author, policy.Edit, draft)
	publish, _ := a.Can(ctx, author, policy.Publish, draft)
	anonymous, _ := a.Can(ctx, nil, policy.Read, draft)
	fmt.Println(own, publish, anonymous)
	// Output: true false false
}
