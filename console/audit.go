package console

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// auditLimit is how many events the audit page shows.
const auditLimit = 100

// actionText says what an audited action means, for people.
var actionText = map[gatehouse.Action]string{
	gatehouse.ActionUserCreate:   "Account created",
	gatehouse.ActionUserUpdate:   "Account changed",
	gatehouse.ActionKeyCreate:    "Key created",
	gatehouse.ActionKeyRoll:      "Key rolled",
	gatehouse.ActionKeyRevoke:    "Key revoked",
	gatehouse.ActionKeyDelete:    "Key deleted",
	gatehouse.ActionKeyReject:    "Key refused",
	gatehouse.ActionSessionStart: "Signed in",
	gatehouse.ActionSessionEnd:   "Session ended",
	gatehouse.ActionLoginFail:    "Sign-in failed",
}

// auditRow is one event on the audit page.
type auditRow struct {
	Time      time.Time
	Action    string
	Code      gatehouse.Action
	Actor     string
	User      string
	KeyPrefix string
	Addr      string
	Detail    string
}

// auditData is the body of the audit page.
type auditData struct {
	Events []auditRow
	All    bool // an admin's view of everyone's events
	Limit  int
}

// Audit serves GET /audit: the newest events about the caller (as the
// one acting or the one concerned); an admin sees everyone's.
func (c *Console) Audit(w http.ResponseWriter, r *http.Request) {
	p, ok := c.who(w, r)
	if !ok {
		return
	}
	f := gatehouse.AuditFilter{UserID: p.UserID, Limit: auditLimit}
	all := p.Has(gatehouse.ScopeAdmin)
	if all {
		f.UserID = 0
	}
	events, err := c.audit.AuditEvents(r.Context(), f)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	names := c.namer(r.Context(), true)
	d := auditData{All: all, Limit: auditLimit, Events: make([]auditRow, len(events))}
	for i, e := range events {
		d.Events[i] = auditRow{Time: e.Time, Action: describe(e.Action), Code: e.Action, Actor: names(e.ActorID),
			User: names(e.UserID), KeyPrefix: e.KeyPrefix, Addr: e.Addr, Detail: joinDetail(e.Reason, e.Detail)}
	}
	c.render(w, r, http.StatusOK, "audit.html", view{Title: "Audit log", Nav: "audit", User: p, Data: d})
}

func describe(a gatehouse.Action) string {
	if t, ok := actionText[a]; ok {
		return t
	}
	return string(a)
}

func joinDetail(reason, detail string) string {
	switch {
	case reason == "":
		return detail
	case detail == "":
		return reason
	}
	return reason + "; " + detail
}

// namer returns a function that names users by id for one page, reading
// each user once. Id 0 is the system or the operator's command line; a
// user that cannot be read is named by id. The audit page shows names
// with email addresses; the posts page, which readers see, only names.
func (c *Console) namer(ctx context.Context, withEmail bool) func(int64) string {
	seen := map[int64]string{0: "system"}
	return func(id int64) string {
		if n, ok := seen[id]; ok {
			return n
		}
		n := "user " + strconv.FormatInt(id, 10)
		if u, err := c.users.User(ctx, id); err == nil {
			n = userName(u, withEmail)
		}
		seen[id] = n
		return n
	}
}

func userName(u *gatehouse.User, withEmail bool) string {
	switch {
	case u.Name != "" && !withEmail:
		return u.Name
	case !withEmail:
		return "user " + strconv.FormatInt(u.ID, 10)
	case u.Name != "" && u.Email != "":
		return u.Name + " <" + u.Email + ">"
	case u.Name != "":
		return u.Name
	case u.Email != "":
		return u.Email
	}
	return u.Subject
}
