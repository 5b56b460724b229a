package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse"
)

// cmdUsers is "gatehouse users": add, list and change users and service
// accounts. Every change is audited with actor 0, the operator.
func cmdUsers(ctx context.Context, e env, args []string) error {
	return subcommand(ctx, e, "users", args, map[string]func(context.Context, env, []string) error{
		"add": usersAdd, "list": usersList, "set-role": usersSetRole,
		"disable": func(ctx context.Context, e env, a []string) error { return usersSetDisabled(ctx, e, a, true) },
		"enable":  func(ctx context.Context, e env, a []string) error { return usersSetDisabled(ctx, e, a, false) },
	}, []string{"add", "list", "set-role", "disable", "enable"})
}

// userView is the JSON form of a user.
type userView struct {
	ID       int64              `json:"id"`
	Kind     gatehouse.UserKind `json:"kind"`
	Issuer   string             `json:"issuer"`
	Subject  string             `json:"subject"`
	Email    string             `json:"email,omitempty"`
	Name     string             `json:"name,omitempty"`
	Role     gatehouse.Role     `json:"role"`
	Disabled bool               `json:"disabled"`
	Created  time.Time          `json:"created"`
	Updated  time.Time          `json:"updated"`
	// InvitationProvider is the provider name a pending invitation is
	// bound to; omitted when any provider may accept it.
	InvitationProvider string `json:"invitation_provider,omitempty"`
}

func viewUser(u *gatehouse.User) userView {
	return userView{ID: u.ID, Kind: u.Kind, Issuer: u.Issuer, Subject: u.Subject, Email: u.Email, Name: u.Name,
		Role: u.Role, Disabled: u.Disabled, Created: u.Created.UTC(), Updated: u.Updated.UTC(),
		InvitationProvider: u.InvitationProvider}
}

// describeUser names u for messages: "service account ci (id 3)".
func describeUser(u *gatehouse.User) string {
	if u.Kind == gatehouse.KindService {
		return fmt.Sprintf("service account %s (id %d)", printable(u.Subject), u.ID)
	}
	who := u.Email
	if who == "" {
		who = u.Subject
	}
	return fmt.Sprintf("user %s (id %d)", printable(who), u.ID)
}

type addFlags struct {
	service, email, name, role, provider string
	json                                 bool
}

func usersAdd(ctx context.Context, e env, args []string) error {
	var f addFlags
	c, pos, err := parseOp(opCommand{"users add",
		"users add (--service NAME | --email ADDRESS [--name NAME] [--invite-provider NAME]) --role ROLE [--json]",
		func(fs *flag.FlagSet) {
			fs.StringVar(&f.service, "service", "", "add a service account with this `name` (lower-case letters, digits, ._-)")
			fs.StringVar(&f.email, "email", "", "invite a person by email `address`; they are matched when they first sign in")
			fs.StringVar(&f.name, "name", "", "display `name`")
			fs.StringVar(&f.provider, "invite-provider", "", "with --email: only the sign-in provider configured under this `name` may accept the invitation (default: any)")
			fs.StringVar(&f.role, "role", "", "`role`: reader, author, editor or admin (required)")
			fs.BoolVar(&f.json, "json", false, "print the new user as JSON")
		}}, e, args)
	if err == nil {
		err = wantArgs(pos)
	}
	if err != nil {
		return err
	}
	u, err := f.user()
	if err != nil {
		return explain(err)
	}
	warnUnknownProvider(e, c, u.InvitationProvider)
	return explain(addUser(ctx, e, c, u, f.json))
}

// user checks the flags and returns the user they describe.
func (f *addFlags) user() (*gatehouse.User, error) {
	if (f.service == "") == (f.email == "") {
		return nil, usageError{errors.New("give either --service NAME or --email ADDRESS")}
	}
	if f.provider != "" && f.email == "" {
		return nil, usageError{errors.New("--invite-provider binds an invitation: give it with --email ADDRESS")}
	}
	if f.provider != "" {
		if err := gatehouse.CheckProviderName(f.provider); err != nil {
			return nil, fmt.Errorf("--invite-provider: %w", err)
		}
	}
	if f.role == "" {
		return nil, usageError{errors.New("--role is required (reader, author, editor or admin)")}
	}
	role, err := gatehouse.ParseRole(f.role)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(f.name)
	if printable(name) != name || utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
		return nil, errors.New("--name must be at most 200 printable characters")
	}
	if f.service != "" {
		if !gatehouse.ValidServiceName(f.service) {
			return nil, fmt.Errorf("service account name %q: want a lower-case letter, then up to 63 lower-case letters, digits or ._-", f.service)
		}
		if name == "" {
			name = f.service
		}
		return &gatehouse.User{Issuer: gatehouse.IssuerService, Subject: f.service, Kind: gatehouse.KindService, Name: name, Role: role}, nil
	}
	a, err := mail.ParseAddress(f.email)
	if err != nil || a.Name != "" || a.Address != strings.TrimSpace(f.email) {
		return nil, fmt.Errorf("%q is not a plain email address such as ada@example.com", f.email)
	}
	email := strings.ToLower(a.Address)
	return &gatehouse.User{Issuer: gatehouse.IssuerInvited, Subject: email, Kind: gatehouse.KindPerson, Email: email, Name: name, Role: role,
		InvitationProvider: f.provider}, nil
}

// warnUnknownProvider says so when the settings this command read name
// providers and none is called name. It only warns: users add is often
// run without serve's settings, and an invitation bound to a provider
// that is not configured (yet) is accepted by no one, which is safe.
func warnUnknownProvider(e env, c *serveConfig, name string) {
	names := c.providerNames()
	if name == "" || len(names) == 0 || slices.Contains(names, name) {
		return
	}
	fmt.Fprintf(e.stderr, "warning: no provider named %s is configured here; only a provider configured under that name can accept the invitation\n", name)
}

// addUser stores u after checking that no one already has its name or
// email, audits it and prints it.
func addUser(ctx context.Context, e env, c *serveConfig, u *gatehouse.User, asJSON bool) error {
	st, err := openStore(ctx, c, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := checkNewUser(ctx, st, u); err != nil {
		return err
	}
	if err := st.CreateUser(ctx, u); err != nil {
		return err
	}
	detail := fmt.Sprintf("added person %q with role %s", u.Subject, u.Role)
	if u.InvitationProvider != "" {
		detail += ", to sign in only through provider " + u.InvitationProvider
	}
	if u.Kind == gatehouse.KindService {
		detail = fmt.Sprintf("added service account %q with role %s", u.Subject, u.Role)
	}
	if err := auditUser(ctx, st, gatehouse.ActionUserCreate, u, detail); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "added %s with role %s\n", describeUser(u), u.Role)
	if asJSON {
		return writeJSON(e.stdout, viewUser(u))
	}
	_, err = fmt.Fprintln(e.stdout, u.ID)
	return err
}

// checkNewUser refuses a user whose identity or email is taken: an email
// that two users share could no longer name either of them.
func checkNewUser(ctx context.Context, st gatehouse.UserStore, u *gatehouse.User) error {
	if old, err := st.UserByIdentity(ctx, u.Issuer, u.Subject); err == nil {
		return gatehouse.Errorf(gatehouse.CodeConflict, "%s already exists", describeUser(old))
	} else if gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		return err
	}
	if u.Email == "" {
		return nil
	}
	same, err := st.Users(ctx, u.Email)
	if err != nil {
		return err
	}
	if len(same) > 0 {
		return gatehouse.Errorf(gatehouse.CodeConflict, "%s already has email %s", describeUser(same[0]), u.Email)
	}
	return nil
}

// auditUser records an operator's change to u.
func auditUser(ctx context.Context, st gatehouse.AuditStore, action gatehouse.Action, u *gatehouse.User, detail string) error {
	if err := st.AppendAudit(ctx, &gatehouse.AuditEvent{Action: action, UserID: u.ID, Detail: detail}); err != nil {
		return fmt.Errorf("audit %s of user %d: %w", action, u.ID, err)
	}
	return nil
}

func usersList(ctx context.Context, e env, args []string) error {
	var asJSON bool
	c, pos, err := parseOp(opCommand{"users list", "users list [--json]", func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}}, e, args)
	if err == nil {
		err = wantArgs(pos)
	}
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c, false)
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.Users(ctx, "")
	if err != nil {
		return explain(err)
	}
	if asJSON {
		views := make([]userView, len(users))
		for i, u := range users {
			views[i] = viewUser(u)
		}
		return writeJSON(e.stdout, views)
	}
	return printUsers(e, users)
}

func printUsers(e env, users []*gatehouse.User) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tNAME\tEMAIL\tROLE\tSTATUS\tPROVIDER\tCREATED")
	for _, u := range users {
		status := "enabled"
		if u.Disabled {
			status = "disabled"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Kind, orDash(printable(u.Name)), orDash(printable(u.Email)),
			u.Role, status, signInVia(u), when(u.Created))
	}
	return tw.Flush()
}

func usersSetRole(ctx context.Context, e env, args []string) error {
	c, pos, err := parseOp(opCommand{"users set-role", "users set-role USER ROLE  (USER: id, email or service account name)",
		func(*flag.FlagSet) {}}, e, args)
	if err == nil {
		err = wantArgs(pos, "USER", "ROLE")
	}
	if err != nil {
		return err
	}
	role, err := gatehouse.ParseRole(pos[1])
	if err != nil {
		return explain(err)
	}
	return explain(updateUser(ctx, e, c, pos[0], func(u *gatehouse.User) string {
		if u.Role == role {
			return ""
		}
		old := u.Role
		u.Role = role
		return fmt.Sprintf("role %s -> %s", old, role)
	}))
}

func usersSetDisabled(ctx context.Context, e env, args []string, disable bool) error {
	name := map[bool]string{true: "disable", false: "enable"}[disable]
	c, pos, err := parseOp(opCommand{"users " + name, "users " + name + " USER  (USER: id, email or service account name)",
		func(*flag.FlagSet) {}}, e, args)
	if err == nil {
		err = wantArgs(pos, "USER")
	}
	if err != nil {
		return err
	}
	return explain(updateUser(ctx, e, c, pos[0], func(u *gatehouse.User) string {
		if u.Disabled == disable {
			return ""
		}
		u.Disabled = disable
		return name + "d"
	}))
}

// updateUser applies change to the user ref names and saves and audits
// it; change returns what it did, or "" when there was nothing to do. When
// the user changed after it was read, the store refuses the update and
// updateUser reads the user again and reapplies change to what is there
// now (see gatehouse.UpdateUserWith), so a concurrent sign-in never undoes
// the change, nor it theirs.
func updateUser(ctx context.Context, e env, c *serveConfig, ref string, change func(*gatehouse.User) string) error {
	st, err := openStore(ctx, c, true)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := resolveUser(ctx, st, ref)
	if err != nil {
		return err
	}
	var detail string
	u, err = gatehouse.UpdateUserWith(ctx, st, u, func(u *gatehouse.User) (bool, error) {
		detail = change(u)
		return detail != "", nil
	})
	if err != nil {
		return err
	}
	if detail == "" {
		fmt.Fprintf(e.stdout, "%s: nothing to change\n", describeUser(u))
		return nil
	}
	if err := auditUser(ctx, st, gatehouse.ActionUserUpdate, u, detail); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s: %s\n", describeUser(u), detail)
	return err
}

// signInVia is the PROVIDER column of users list: for a pending
// invitation, the provider that may accept it ("any" when unbound); for
// everyone else "-", as their identity's issuer already decides.
func signInVia(u *gatehouse.User) string {
	switch {
	case u.Issuer != gatehouse.IssuerInvited:
		return "-"
	case u.InvitationProvider == "":
		return "any"
	}
	return u.InvitationProvider
}

// when formats a time for tables; the zero time is "-".
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
