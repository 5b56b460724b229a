// Package policy makes the resource-level decisions of the blog: may this
// caller read, create, edit, publish or delete this post. The rules are
// Cedar policies (cedar-go), kept in blog.cedar and embedded in the binary;
// a deployment may replace them with its own file.
//
// # The one question
//
// Application code asks Authorizer.Can and nothing else: it never compares
// roles or owners itself. Can answers from the principal's id and role and
// the post's author and status, which it turns into the Cedar entities
// that blog.cedarschema declares.
//
// # Failing closed
//
// Cedar skips a policy whose evaluation fails, so a forbid that errors
// stops applying. Can therefore validates the request and its entities
// against the schema, and treats any evaluation error of any policy as a
// denial, returned with a CodeInternal error so that it is seen.
//
// # Start-up validation
//
// New parses the policy text and validates every policy against the schema
// (cedar-go's strict validator). A policy that does not parse or does not
// fit the schema is an error that names file:line:column and the reason.
package policy

import (
	"bytes"
	_ "embed"
	"fmt"
	"log/slog"
	"slices"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/x/exp/schema/validate"
)

//go:embed blog.cedar
var defaultSource []byte

//go:embed blog.cedarschema
var schemaSource []byte

// DefaultName is the file name of the embedded policy, used in messages.
const DefaultName = "blog.cedar"

// Default returns the text of the embedded policy, blog.cedar.
func Default() []byte { return slices.Clone(defaultSource) }

// Schema returns the text of the Cedar schema every policy must fit,
// blog.cedarschema. It is the contract between the policies and the
// entities Can builds, so it is not replaceable.
func Schema() []byte { return slices.Clone(schemaSource) }

// Action is something a principal may do to a post.
type Action string

// The actions of blog.cedarschema.
const (
	Read    Action = "read"
	Create  Action = "create" // the resource is the post about to be created
	Edit    Action = "edit"
	Publish Action = "publish"
	Delete  Action = "delete"
)

// Resource is a post as the policy sees it. For Create, it is the post
// about to be made (ID 0, the caller as author, status "draft").
type Resource struct {
	ID       int64
	AuthorID int64
	Status   string // "draft" or "published"
}

// Config holds an Authorizer's settings.
type Config struct {
	// Source is the policy text. Nil means the embedded blog.cedar.
	Source []byte
	// Name names Source in error messages, usually its file name. Empty
	// means DefaultName when Source is nil, and "policy" otherwise.
	Name string
	// Logger receives the evaluation errors that turned a decision into a
	// denial. Nil discards them (Can returns them too).
	Logger *slog.Logger
}

// Authorizer answers Can from a validated policy set. It is immutable and
// safe for concurrent use.
type Authorizer struct {
	name      string
	policies  *cedar.PolicySet
	builtin   bool
	validator *validate.Validator
	log       *slog.Logger
}

// New parses cfg.Source and validates it against the schema. The error for
// a policy that does not parse or fit names file:line:column and why.
func New(cfg Config) (*Authorizer, error) {
	src, name := cfg.Source, cfg.Name
	if src == nil {
		src = defaultSource
		if name == "" {
			name = DefaultName
		}
	}
	if name == "" {
		name = "policy"
	}
	v, err := newValidator()
	if err != nil {
		return nil, err
	}
	ps, err := parse(v, src, name)
	if err != nil {
		return nil, err
	}
	builtin := cfg.Source == nil
	if !builtin {
		if builtin, err = sameAsDefault(v, ps); err != nil {
			return nil, err
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Authorizer{name: name, policies: ps, builtin: builtin, validator: v, log: log}, nil
}

// sameAsDefault reports whether ps holds the policies of blog.cedar, in the
// same order; comments and layout do not count.
func sameAsDefault(v *validate.Validator, ps *cedar.PolicySet) (bool, error) {
	def, err := parse(v, defaultSource, DefaultName)
	if err != nil {
		return false, err
	}
	return bytes.Equal(ps.MarshalCedar(), def.MarshalCedar()), nil
}

// Builtin reports whether the Authorizer decides with the policies of the
// embedded blog.cedar (comments and layout aside). Code that implements a
// policy rule in a query of its own, such as the blog's list filter, may
// rely on that query only when Builtin is true: a replaced policy may
// permit what the query does not select.
func (a *Authorizer) Builtin() bool { return a.builtin }

// Load is New with the policy text src, named name in error messages.
func Load(src []byte, name string) (*Authorizer, error) {
	if src == nil {
		src = []byte{} // nil would mean the default policy
	}
	return New(Config{Source: src, Name: name})
}

// Check validates the policy text src, named name in error messages, as
// New would at start-up, and returns New's error.
func Check(src []byte, name string) error {
	_, err := Load(src, name)
	return err
}

// String returns the name of the policy file the Authorizer was made from.
func (a *Authorizer) String() string { return fmt.Sprintf("policy %s", a.name) }
