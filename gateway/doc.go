// Package gateway puts any HTTP API behind Gatehouse: a reverse proxy that
// authenticates each request with a guard (API keys, and sessions when the
// guard has them), applies the rules of a route file, and forwards what
// passes to an upstream with httputil.ReverseProxy, the caller's identity
// in headers and, optionally, in a signed assertion.
//
// # Rules
//
// A route file (see ParseRoutes) lists http.ServeMux patterns, each public,
// authenticated (optionally with scopes) or deny, and the upstream that
// receives what it allows. The most specific pattern decides, as in
// ServeMux; a request that no rule matches is denied: 401 without a
// credential, 403 with one, so that anonymous callers cannot tell missing
// routes from protected ones. "/x" is not matched by a rule for "/x/":
// it is denied rather than redirected. Conversely "/x/", which many
// upstreams serve as "/x", must also satisfy the rule for "/x": the
// stricter of the two decides, and the request is denied when neither is
// stricter (scopes that neither rule's include, or two upstreams). Paths that are not canonical are
// refused with 400 before any rule is consulted (see CheckPath), so the
// path a rule decided on is, byte for byte, the path the upstream receives.
// Matching is case-sensitive unless the file sets fold_case, which an
// upstream that ignores case needs. Hosts are matched, and passed on in
// X-Forwarded-Host, in lower case and without the trailing dot of a fully
// qualified name.
//
// # Reserved paths
//
// The gateway serves /.gatehouse/ (health and readiness), /auth/ and
// /.well-known/jwks.json itself (see Reserved), ahead of every rule; no rule
// may name them. Config.Reserved serves the ones the gateway does not
// serve itself: "gatehouse proxy" puts sign-in at /auth/ and the console
// (keys, sessions, audit) under /.gatehouse/ there (see
// server.NewReserved). A handler there authenticates for itself; it may
// set its own Content-Security-Policy and the like, which the gateway's
// defaults then do not replace.
//
// # What the upstream receives
//
// Before a request leaves, the gateway removes: every header that is an
// identity header or the assertion header in any spelling (case, '_' for
// '-', repeated), and any X-Gatehouse-* header; the Authorization header
// and Gatehouse's cookies; Forwarded, X-Forwarded-*, X-Real-IP and their
// kin, the URL rewrites (X-Original-URL, X-Rewrite-URL) and method
// overrides (X-HTTP-Method-Override) that some frameworks honour. It then
// sets X-Forwarded-For, -Proto and -Host (extending a trusted proxy's), a
// Request-Id, and for an authenticated caller the identity headers (see
// Headers) and the assertion. It does so in ReverseProxy's Rewrite, which
// runs after the hop-by-hop headers are removed: a client that names a
// header in Connection cannot make the proxy drop one the gateway set.
//
// On the way back, identity headers and Gatehouse's cookies set by the
// upstream are dropped, from 1xx responses (103 Early Hints) and trailers
// too (which may set no cookie at all), and
// HSTS, Request-Id and X-Content-Type-Options: nosniff are the gateway's.
//
// # Failures
//
// An upstream that cannot be reached answers 502, one that does not send
// its headers within Config.UpstreamTimeout 504, both as problem+json.
// Denials to authenticated callers are audited (ActionDeny); refused keys
// are audited and rate-limited by the guard.
package gateway
