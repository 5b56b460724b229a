package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	cedar "github.com/cedar-policy/cedar-go"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
	"github.com/cedar-policy/cedar-go/x/exp/schema"
	"github.com/cedar-policy/cedar-go/x/exp/schema/validate"
)

// newValidator parses the embedded schema. It cannot fail in a released
// build; the error is for a broken edit of blog.cedarschema.
func newValidator() (*validate.Validator, error) {
	var s schema.Schema
	s.SetFilename("blog.cedarschema")
	if err := s.UnmarshalCedar(schemaSource); err != nil {
		return nil, fmt.Errorf("policy: schema: %w", err)
	}
	rs, err := s.Resolve()
	if err != nil {
		return nil, fmt.Errorf("policy: schema: %w", err)
	}
	return validate.New(rs, validate.WithStrict()), nil
}

// parse reads the policies of src and validates each against the schema.
// A file without any policy is refused: it would deny everything, which is
// more likely a wrong file than a wish.
func parse(v *validate.Validator, src []byte, name string) (*cedar.PolicySet, error) {
	list, err := cedar.NewPolicyListFromBytes(name, src)
	if err != nil {
		return nil, fmt.Errorf("policy: %s", parseMessage(err, name))
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("policy: %s: no policies (every request would be denied)", name)
	}
	ps := cedar.NewPolicySet()
	var errs []error
	for i, p := range list {
		id := cedar.PolicyID(fmt.Sprintf("policy%d", i))
		if err := v.Policy(string(id), (*xast.Policy)(p.AST())); err != nil {
			errs = append(errs, validationErrors(p.Position(), id, err)...)
		}
		ps.Add(id, p)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("policy: %s does not fit the schema:\n%w", name, errors.Join(errs...))
	}
	return ps, nil
}

// parsePosition finds the position in cedar-go's parse errors, which call
// the file "<input>" whatever its name.
var parsePosition = regexp.MustCompile(`^(?:parser error: )?parse error at <input>:(\d+):(\d+) `)

// parseMessage rewrites a parse error as "file:line:column: reason".
func parseMessage(err error, name string) string {
	msg := err.Error()
	if m := parsePosition.FindStringSubmatchIndex(msg); m != nil {
		return fmt.Sprintf("%s:%s:%s: %s", name, msg[m[2]:m[3]], msg[m[4]:m[5]], msg[m[1]:])
	}
	return fmt.Sprintf("%s: %s", name, strings.ReplaceAll(msg, "<input>", name))
}

// validationErrors gives each of the validator's messages the position of
// the policy it is about. The validator reports per policy, not per
// expression, so the position is where the policy starts.
func validationErrors(pos cedar.Position, id cedar.PolicyID, err error) []error {
	prefix := fmt.Sprintf("for policy `%s`, ", id)
	var out []error
	for line := range strings.SplitSeq(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, fmt.Errorf("%s:%d:%d: %s", pos.Filename, pos.Line, pos.Column, strings.TrimPrefix(line, prefix)))
		}
	}
	return out
}
