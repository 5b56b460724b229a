package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
)

// ActionDeny is the audit action of a request the rules refused to an
// authenticated caller. Its Reason is insufficient_scope, deny_rule or
// no_rule.
const ActionDeny gatehouse.Action = "request.deny"

// Auditor records audit events; a gatehouse.AuditStore is one.
type Auditor interface {
	AppendAudit(ctx context.Context, e *gatehouse.AuditEvent) error
}

// auditEvery is how often one credential's denials by one rule are
// recorded: a client retrying in a loop must not turn into a write per
// request.
const auditEvery = time.Minute

// auditMax bounds the remembered (credential, rule) pairs.
const auditMax = 10000

// auditor records denials, at most one per credential and rule per
// auditEvery; every denial is logged.
type auditor struct {
	store Auditor
	log   *slog.Logger
	now   func() time.Time

	mu   sync.Mutex
	last map[auditKey]time.Time
}

type auditKey struct {
	userID     int64
	credential string // key id or session id
	line       int    // the rule's line; 0 for no rule
}

func newAuditor(store Auditor, log *slog.Logger, now func() time.Time) *auditor {
	return &auditor{store: store, log: log, now: now, last: map[auditKey]time.Time{}}
}

// deny records that p's request r was refused by rule (nil: no rule).
func (a *auditor) deny(r *http.Request, p *gatehouse.Principal, rule *Rule, reason, addr string) {
	detail := r.Method + " " + r.URL.Path
	k := auditKey{userID: p.UserID, credential: p.KeyID + p.SessionID}
	if rule != nil {
		k.line = rule.Line
		detail += fmt.Sprintf(" (rule at line %d %q)", rule.Line, rule.Pattern)
	}
	a.log.InfoContext(r.Context(), "request denied", "user_id", p.UserID, "key_id", p.KeyID, "reason", reason, "detail", detail)
	if a.store == nil || !a.due(k) {
		return
	}
	e := &gatehouse.AuditEvent{
		Time: a.now(), Action: ActionDeny, ActorID: p.UserID, UserID: p.UserID,
		KeyID: p.KeyID, Addr: addr, Reason: reason, Detail: detail,
	}
	if p.KeyID != "" {
		e.KeyPrefix = apikey.DisplayPrefix(p.KeyID)
	}
	// The write outlives a client that hangs up, within a bound.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 5*time.Second)
	defer cancel()
	if err := a.store.AppendAudit(ctx, e); err != nil {
		a.log.ErrorContext(ctx, "audit of a denial failed", "err", err)
	}
}

// due reports whether k's denial is to be recorded now.
func (a *auditor) due(k auditKey) bool {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if t, ok := a.last[k]; ok && now.Sub(t) < auditEvery {
		return false
	}
	if len(a.last) >= auditMax {
		for old, t := range a.last {
			if now.Sub(t) >= auditEvery {
				delete(a.last, old)
			}
		}
		if len(a.last) >= auditMax {
			clear(a.last) // a flood of credentials: better a few extra events than unbounded memory
		}
	}
	a.last[k] = now
	return true
}
