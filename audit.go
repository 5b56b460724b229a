package gatehouse

import "time"

// Action names an audited event.
type Action string

// The audited actions.
const (
	ActionUserCreate Action = "user.create"
	ActionUserUpdate Action = "user.update"
	ActionKeyCreate  Action = "key.create"
	ActionKeyRoll    Action = "key.roll"
	ActionKeyRevoke  Action = "key.revoke"
	ActionKeyDelete  Action = "key.delete"
	ActionKeyReject  Action = "key.reject" // a presented key was refused; Reason says why
)

// AuditEvent is one entry of the append-only audit log. It never holds a
// secret: a rejected key is recorded by its non-secret prefix.
type AuditEvent struct {
	ID        int64
	Time      time.Time
	Action    Action
	ActorID   int64  // who did it; 0 for the system, an operator's CLI, or an anonymous caller
	UserID    int64  // whose account or key it concerns; 0 when unknown
	KeyID     string // the key concerned, if any
	KeyPrefix string // the key's display prefix, if any
	Addr      string // the client address, if over the network
	Reason    string // for rejections and failures
	Detail    string // free text, e.g. the label or scopes
}

// AuditFilter selects audit events. Zero fields select everything.
type AuditFilter struct {
	UserID int64     // events concerning this user (as subject or actor)
	KeyID  string    // events concerning this key
	Since  time.Time // events at or after this time
	Limit  int       // at most this many, newest first; 0 means 100
}
