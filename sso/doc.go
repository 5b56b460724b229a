// Package sso is Gatehouse's relying party: it signs people in through
// OpenID Connect providers (by issuer URL, with discovery) and plain OAuth2
// providers such as GitHub, and hands them a server-side session.
//
// # The flow
//
// GET /auth/login starts an authorization code flow with PKCE (S256), a
// random state and a nonce, all kept on the server and bound to the browser
// by a short-lived login cookie (see session.Manager.BeginLogin). GET
// /auth/callback checks the state and the binding, exchanges the code with
// the PKCE verifier, verifies the ID token (signature, iss, aud, azp, exp,
// iat, nonce, and an algorithm the provider advertises, never "none"), finds
// or creates the user, and starts the session. Every failure ends on an
// HTML error page, starts no session and is audited as login.fail.
//
// POST /auth/logout ends the session and, when the provider offers one,
// redirects to its end_session_endpoint. POST
// /auth/backchannel-logout/{provider} accepts OpenID Connect Back-Channel
// Logout tokens and ends the sessions they name.
//
// # Redirects
//
// ReturnTo accepts only same-origin paths as the place to go after login;
// anything else becomes "/".
package sso
