// Package gateway puts any HTTP API behind Gatehouse: a reverse proxy that
// authenticates each request with a guard, applies the rules of a route
// file, and forwards what passes to an upstream with the caller's identity
// in headers (and, optionally, in a signed assertion).
//
// # Rules
//
// A route file (see ParseRoutes) lists http.ServeMux patterns, each public,
// authenticated (optionally with scopes) or deny, and the upstream that
// receives what it allows. A request that no rule matches is denied: 401
// without a credential, 403 with one, so that anonymous callers cannot tell
// missing routes from protected ones. Paths that are not canonical are
// refused with 400 before any rule is consulted (see CheckPath), so the
// path a rule decided on is the path the upstream receives.
//
// # Reserved paths
//
// The gateway serves /.gatehouse/ (health and readiness), /auth/ and
// /.well-known/jwks.json itself (see Reserved); no rule may name them.
package gateway
