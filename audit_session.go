package gatehouse

// The audited actions of browser sign-in and sessions. A session is named
// in AuditEvent.Detail by its public id, never by its token.
const (
	ActionSessionStart Action = "session.start" // a user signed in; a session began
	ActionSessionEnd   Action = "session.end"   // a session was ended: logout, by its user, an operator or the provider
	ActionLoginFail    Action = "login.fail"    // a sign-in failed; Reason says why
)
