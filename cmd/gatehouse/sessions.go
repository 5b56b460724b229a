package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/session"
)

// cmdSessions is "gatehouse sessions": list a user's browser sessions and
// end them. Ending takes effect on the next request to every running
// server, since servers read sessions from the store on every request.
func cmdSessions(ctx context.Context, e env, args []string) error {
	return subcommand(ctx, e, "sessions", args, map[string]func(context.Context, env, []string) error{
		"list": sessionsList, "end": sessionsEnd,
	}, []string{"list", "end"})
}

// sessionView is the JSON form of a session: never its hash.
type sessionView struct {
	ID        string    `json:"id"`
	Provider  string    `json:"provider,omitempty"`
	Created   time.Time `json:"created"`
	LastSeen  time.Time `json:"last_seen"`
	Expires   time.Time `json:"expires"`
	UserAgent string    `json:"user_agent,omitempty"`
	Addr      string    `json:"addr,omitempty"`
}

func viewSession(s *gatehouse.Session) sessionView {
	return sessionView{ID: s.ID, Provider: s.Provider, Created: s.Created.UTC(), LastSeen: s.LastSeen.UTC(),
		Expires: s.Expires.UTC(), UserAgent: s.UserAgent, Addr: s.Addr}
}

// withSessions opens the store, finds the user and runs fn with a session
// manager.
func withSessions(ctx context.Context, c *serveConfig, userRef string, write bool, fn func(m *session.Manager, u *gatehouse.User) error) error {
	st, err := openStore(ctx, c, write)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := resolveUser(ctx, st, userRef)
	if err != nil {
		return explain(err)
	}
	m, err := session.New(session.Config{Store: st, Scopes: c.knownScopes()})
	if err != nil {
		return err
	}
	return explain(fn(m, u))
}

func sessionsList(ctx context.Context, e env, args []string) error {
	var user string
	var asJSON bool
	c, pos, err := parseOp(opCommand{"sessions list", "sessions list --user USER [--json]", func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "the sessions' user: user id or email `address` (required)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}}, e, args)
	if err == nil {
		err = wantArgs(pos)
	}
	if err != nil {
		return err
	}
	return withSessions(ctx, c, user, false, func(m *session.Manager, u *gatehouse.User) error {
		list, err := m.List(ctx, u.ID)
		if err != nil {
			return err
		}
		views := make([]sessionView, len(list))
		for i, s := range list {
			views[i] = viewSession(s)
		}
		if asJSON {
			return writeJSON(e.stdout, views)
		}
		return printSessions(e, views)
	})
}

func printSessions(e env, views []sessionView) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPROVIDER\tCREATED\tLAST SEEN\tEXPIRES\tFROM\tBROWSER")
	for _, v := range views {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, orDash(printable(v.Provider)), when(v.Created),
			when(v.LastSeen), when(v.Expires), orDash(printable(v.Addr)), orDash(printable(v.UserAgent)))
	}
	return tw.Flush()
}

// sessionsEnd ends one session of the user when given its id, and all of
// them otherwise. Each is audited as session.end with actor 0, the
// operator.
func sessionsEnd(ctx context.Context, e env, args []string) error {
	var user string
	c, pos, err := parseOp(opCommand{"sessions end", "sessions end --user USER [ID]  (without ID: every session of the user)",
		func(fs *flag.FlagSet) {
			fs.StringVar(&user, "user", "", "the sessions' user: user id or email `address` (required)")
		}}, e, args)
	if err == nil && len(pos) > 1 {
		err = wantArgs(pos, "ID")
	}
	if err != nil {
		return err
	}
	return withSessions(ctx, c, user, true, func(m *session.Manager, u *gatehouse.User) error {
		if len(pos) == 1 {
			if err := m.EndOne(ctx, u.ID, pos[0]); err != nil {
				return err
			}
			_, err := fmt.Fprintf(e.stdout, "ended session %s of %s\n", pos[0], describeUser(u))
			return err
		}
		n, err := m.EndAll(ctx, u.ID)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(e.stdout, "ended %d sessions of %s\n", n, describeUser(u))
		return err
	})
}
