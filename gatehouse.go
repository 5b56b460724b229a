// Package gatehouse is the vocabulary of the Gatehouse auth layer: users,
// API keys, principals, scopes and roles, the audit log, errors and the
// storage contracts that every backend implements.
//
// It does no I/O. The packages beside it provide the behaviour:
// apikey formats and parses keys, guard authenticates requests, server
// serves the HTTPS API, and sqlite and postgres implement the stores.
//
// # Identity in a request
//
// Middleware that authenticates a request puts exactly one immutable
// *Principal in its context with NewContext; handlers and policies read it
// with PrincipalFrom. The context carries nothing else of Gatehouse's.
package gatehouse

import "context"

// principalKey is the context key under which the caller's Principal lives.
// It is unexported so that only NewContext can set it.
type principalKey struct{}

// NewContext returns a copy of ctx that carries p. The Principal must not be
// modified afterwards: it may be shared between requests.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the Principal stored in ctx by NewContext, and false
// when the request is anonymous.
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
