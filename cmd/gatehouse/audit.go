package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/apikey"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

// maxAuditLimit bounds --limit, so that a typo does not dump the whole log.
const maxAuditLimit = 10000

type auditFlags struct {
	user, key, since string
	limit            int
	json             bool
}

// cmdAudit is "gatehouse audit": the audit log, newest first.
func cmdAudit(ctx context.Context, e env, args []string) error {
	var f auditFlags
	c, pos, err := parseOp(opCommand{"audit", "audit [--user USER] [--key ID] [--since 24h|2026-01-02T15:04:05Z] [--limit N] [--json]",
		func(fs *flag.FlagSet) {
			fs.StringVar(&f.user, "user", "", "only events about this user: id, email or service account `name`")
			fs.StringVar(&f.key, "key", "", "only events about the key with this `id`")
			fs.StringVar(&f.since, "since", "", "only events in the last `duration` (24h, 7d) or since an RFC 3339 time or date")
			fs.IntVar(&f.limit, "limit", 100, "at most `N` events (up to 10000)")
			fs.BoolVar(&f.json, "json", false, "print JSON")
		}}, e, args)
	if err == nil {
		err = wantArgs(pos)
	}
	if err != nil {
		return err
	}
	filter, err := f.filter(time.Now())
	if err != nil {
		return explain(err)
	}
	st, err := openStore(ctx, c, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if f.user != "" {
		u, err := resolveUser(ctx, st, f.user)
		if err != nil {
			return explain(err)
		}
		filter.UserID = u.ID
	}
	events, err := st.AuditEvents(ctx, filter)
	if err != nil {
		return explain(err)
	}
	if f.json {
		return writeJSON(e.stdout, auditViews(events))
	}
	return printAudit(e, events)
}

// filter checks the flags other than --user, which needs the store.
func (f *auditFlags) filter(now time.Time) (gatehouse.AuditFilter, error) {
	af := gatehouse.AuditFilter{KeyID: f.key, Limit: f.limit}
	if f.limit < 1 || f.limit > maxAuditLimit {
		return af, usageError{fmt.Errorf("--limit must be between 1 and %d", maxAuditLimit)}
	}
	if f.key != "" && !apikey.ValidID(f.key) {
		return af, usageError{fmt.Errorf("--key %q is not a key id (16 characters a-z, 2-7)", f.key)}
	}
	if f.since == "" {
		return af, nil
	}
	if t, err := parseTime(f.since); err == nil {
		af.Since = t
		return af, nil
	}
	d, err := keyring.ParseDuration(f.since)
	if err != nil {
		return af, usageError{errors.New("--since wants a duration (24h, 7d) or an RFC 3339 time or date")}
	}
	af.Since = now.Add(-d)
	return af, nil
}

// auditView is the JSON form of an audit event.
type auditView struct {
	ID        int64            `json:"id"`
	Time      time.Time        `json:"time"`
	Action    gatehouse.Action `json:"action"`
	ActorID   int64            `json:"actor_id"`
	UserID    int64            `json:"user_id,omitempty"`
	KeyID     string           `json:"key_id,omitempty"`
	KeyPrefix string           `json:"key_prefix,omitempty"`
	Addr      string           `json:"addr,omitempty"`
	Reason    string           `json:"reason,omitempty"`
	Detail    string           `json:"detail,omitempty"`
}

func auditViews(events []*gatehouse.AuditEvent) []auditView {
	out := make([]auditView, len(events))
	for i, a := range events {
		out[i] = auditView{ID: a.ID, Time: a.Time.UTC(), Action: a.Action, ActorID: a.ActorID, UserID: a.UserID,
			KeyID: a.KeyID, KeyPrefix: a.KeyPrefix, Addr: a.Addr, Reason: a.Reason, Detail: a.Detail}
	}
	return out
}

func printAudit(e env, events []*gatehouse.AuditEvent) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTION\tACTOR\tUSER\tKEY\tFROM\tDETAIL")
	for _, a := range events {
		actor := fmt.Sprint(a.ActorID)
		switch {
		case a.ActorID != 0:
		case a.Action == gatehouse.ActionKeyReject: // an anonymous caller
			actor = "-"
		default: // a change with no acting user comes from the command line
			actor = "operator"
		}
		user := "-"
		if a.UserID != 0 {
			user = fmt.Sprint(a.UserID)
		}
		key := a.KeyID
		if key == "" {
			key = a.KeyPrefix
		}
		detail := a.Detail
		if a.Reason != "" {
			detail = a.Reason + " " + detail
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Time.UTC().Format(time.RFC3339), a.Action, actor, user,
			orDash(printable(key)), orDash(printable(a.Addr)), orDash(printable(detail)))
	}
	return tw.Flush()
}
