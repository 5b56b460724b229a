package policy

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/gatehouse-dev/gatehouse"
)

// The entity types and ids of blog.cedarschema.
const (
	typeUser      cedar.EntityType = "User"
	typeRole      cedar.EntityType = "Role"
	typeAnonymous cedar.EntityType = "Anonymous"
	typePost      cedar.EntityType = "Post"
	typeAction    cedar.EntityType = "Action"
)

// anonymous is the principal of a request without credentials.
var anonymousUID = cedar.NewEntityUID(typeAnonymous, "anonymous")

// Can reports whether principal (nil: an anonymous caller) may do action
// to resource. It is the only question application code asks.
//
// Anything that keeps the policy from deciding cleanly is a denial: an
// unknown action or role, entities that do not fit the schema, and an
// evaluation error in any policy (Cedar would skip that policy, and a
// skipped forbid would let the request through). Such a denial comes with
// a CodeInternal error, also logged; a plain denial has a nil error.
func (a *Authorizer) Can(ctx context.Context, principal *gatehouse.Principal, action Action, resource Resource) (bool, error) {
	req, entities, err := a.request(principal, action, resource)
	if err != nil {
		return false, a.fail(ctx, action, err)
	}
	decision, diag := cedar.Authorize(a.policies, entities, req)
	if len(diag.Errors) > 0 {
		return false, a.fail(ctx, action, diagError(diag.Errors))
	}
	return decision == cedar.Allow, nil
}

// fail logs and wraps an error that turned a decision into a denial.
func (a *Authorizer) fail(ctx context.Context, action Action, err error) error {
	a.log.ErrorContext(ctx, "policy decision failed; denied", "policy", a.name, "action", string(action), "err", err)
	return fmt.Errorf("policy: %s: %w: %w", action, gatehouse.Errorf(gatehouse.CodeInternal, "The request could not be authorized."), err)
}

// diagError joins Cedar's evaluation errors, with the policy positions.
func diagError(errs []cedar.DiagnosticError) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = fmt.Sprintf("%s:%d:%d: %s: %s", e.Position.Filename, e.Position.Line, e.Position.Column, e.PolicyID, e.Message)
	}
	return fmt.Errorf("evaluation error: %s", strings.Join(msgs, "; "))
}

// request builds the Cedar request and its entities, and checks both
// against the schema.
func (a *Authorizer) request(p *gatehouse.Principal, action Action, r Resource) (cedar.Request, cedar.EntityMap, error) {
	post := cedar.Entity{
		UID: cedar.NewEntityUID(typePost, cedar.String(strconv.FormatInt(r.ID, 10))),
		Attributes: cedar.NewRecord(cedar.RecordMap{
			"author": cedar.NewEntityUID(typeUser, cedar.String(strconv.FormatInt(r.AuthorID, 10))),
			"status": cedar.String(r.Status),
		}),
	}
	who, err := principalEntity(p)
	if err != nil {
		return cedar.Request{}, nil, err
	}
	req := cedar.Request{
		Principal: who.UID,
		Action:    cedar.NewEntityUID(typeAction, cedar.String(action)),
		Resource:  post.UID,
		Context:   cedar.NewRecord(nil),
	}
	if err := a.validator.Request(req); err != nil {
		return req, nil, err
	}
	entities := cedar.EntityMap{who.UID: who, post.UID: post}
	for _, e := range entities {
		if err := a.validator.Entity(e); err != nil {
			return req, nil, fmt.Errorf("entity %s: %w", e.UID, err)
		}
	}
	return req, entities, nil
}

// principalEntity is User::"<id>" in Role::"<role>", or Anonymous.
func principalEntity(p *gatehouse.Principal) (cedar.Entity, error) {
	if p == nil {
		return cedar.Entity{UID: anonymousUID}, nil
	}
	if _, err := gatehouse.ParseRole(string(p.Role)); err != nil {
		return cedar.Entity{}, fmt.Errorf("principal %d: %w", p.UserID, err)
	}
	return cedar.Entity{
		UID:     cedar.NewEntityUID(typeUser, cedar.String(strconv.FormatInt(p.UserID, 10))),
		Parents: cedar.NewEntityUIDSet(cedar.NewEntityUID(typeRole, cedar.String(p.Role))),
	}, nil
}
