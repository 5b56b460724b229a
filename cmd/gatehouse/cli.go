package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"unicode"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

// The operator commands (users, keys, audit) share this file: their flag
// parsing, the store they open and how they name users.
//
// Each has two sets of flags. Its own flags (--user, --label, --json...)
// come only from the command line: an operator's environment must never
// silently pick a user or a scope. The serve settings (--data-dir,
// --database, --config, and the deployment's --scope list and
// --key-idle-expiry) come from flags, GATEHOUSE_* variables or the config
// file, exactly as for serve, so that one config file serves both.

// opCommand describes one operator subcommand for parsing and help.
type opCommand struct {
	name   string // e.g. "keys create"
	usage  string // the synopsis after "gatehouse "
	define func(fs *flag.FlagSet)
}

// parseOp parses args for c: its own flags and the serve settings, in any
// order, with positional arguments anywhere ("keys revoke ID --user x").
// It returns the settings and the positional arguments.
func parseOp(c opCommand, e env, args []string) (*serveConfig, []string, error) {
	own := flag.NewFlagSet("gatehouse "+c.name, flag.ContinueOnError)
	own.SetOutput(io.Discard)
	c.define(own)
	conf := &serveConfig{}
	set := newFlagSet(c.name, io.Discard)
	conf.register(set, e.getenv)
	ownArgs, setArgs, pos, err := splitArgs(own, set, args)
	if errors.Is(err, flag.ErrHelp) {
		opUsage(e.stdout, c, own)
		return nil, nil, err
	}
	if err == nil {
		err = own.Parse(ownArgs)
	}
	if err == nil {
		err = parseSettings(set, setArgs, e.getenv)
	}
	if err != nil {
		opUsage(e.stderr, c, own)
		return nil, nil, asUsage(err)
	}
	return conf, pos, nil
}

// asUsage marks err as a command-line mistake unless it already is one.
func asUsage(err error) error {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{err}
}

// splitArgs sorts args into the command's own flags, the settings and the
// positional arguments. "--" ends the flags.
func splitArgs(own, set *flag.FlagSet, args []string) (ownArgs, setArgs, pos []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return ownArgs, setArgs, append(pos, args[i+1:]...), nil
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			return nil, nil, nil, flag.ErrHelp
		}
		dst, f := &ownArgs, own.Lookup(name)
		if f == nil {
			dst, f = &setArgs, set.Lookup(name)
		}
		if f == nil {
			return nil, nil, nil, fmt.Errorf("unknown flag %s", a)
		}
		*dst = append(*dst, a)
		if hasValue || isBoolFlag(f) {
			continue
		}
		if i+1 == len(args) {
			return nil, nil, nil, fmt.Errorf("flag %s needs a value", a)
		}
		i++
		*dst = append(*dst, args[i])
	}
	return ownArgs, setArgs, pos, nil
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// opUsage prints c's synopsis and flags.
func opUsage(w io.Writer, c opCommand, own *flag.FlagSet) {
	fmt.Fprintf(w, "usage: gatehouse %s\n", c.usage)
	own.SetOutput(w)
	own.PrintDefaults()
	own.SetOutput(io.Discard)
	fmt.Fprint(w, "\nFlags may come before or after the arguments. The store is chosen as for serve:\n"+
		"--data-dir, --database or --config (or GATEHOUSE_DATA_DIR, GATEHOUSE_DATABASE,\n"+
		"GATEHOUSE_CONFIG); the deployment's own scopes come from GATEHOUSE_SCOPE or the\n"+
		"config file's \"scope\" list.\n")
}

// wantArgs checks the number of positional arguments.
func wantArgs(pos []string, names ...string) error {
	if len(pos) == len(names) {
		return nil
	}
	if len(pos) < len(names) {
		return usageError{fmt.Errorf("missing %s", strings.Join(names[len(pos):], " and "))}
	}
	return usageError{fmt.Errorf("unexpected argument %q", pos[len(names)])}
}

// subcommand dispatches args[0] to one of subs, or explains what exists.
func subcommand(ctx context.Context, e env, group string, args []string, subs map[string]func(context.Context, env, []string) error, order []string) error {
	if len(args) > 0 {
		if f, ok := subs[args[0]]; ok {
			return f(ctx, e, args[1:])
		}
	}
	w := e.stderr
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		w = e.stdout
	}
	fmt.Fprintf(w, "usage: gatehouse %s %s [flags] (--help for each)\n", group, strings.Join(order, "|"))
	switch {
	case w == e.stdout:
		return nil
	case len(args) == 0:
		return usageError{fmt.Errorf("%s: missing subcommand", group)}
	}
	return usageError{fmt.Errorf("%s: unknown subcommand %q", group, args[0])}
}

// openStore opens the store: creating and migrating it for commands that
// write, and requiring it to exist for those that only read.
func openStore(ctx context.Context, c *serveConfig, write bool) (migrator, error) {
	if write {
		return c.store.openMigrated(ctx)
	}
	st, err := c.store.open(ctx, false)
	if errors.Is(err, fs.ErrNotExist) {
		msg := fmt.Sprintf("no database at %s: check --data-dir or --database ('gatehouse migrate' creates one)", c.store.databaseURL())
		return nil, shortError{msg, err}
	}
	return st, err
}

// newKeyring returns the key service with the deployment's settings. It has
// no Invalidator: a running server learns of changes from the store.
func newKeyring(st migrator, c *serveConfig) (*keyring.Service, error) {
	return keyring.New(keyring.Config{Store: st, Scopes: c.knownScopes(), IdleExpiry: c.keyIdleExpiry})
}

// resolveUser finds the user that ref names: a numeric id, an email
// address, or a service account's name.
func resolveUser(ctx context.Context, st gatehouse.UserStore, ref string) (*gatehouse.User, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, usageError{errors.New("--user is required (a user id, email address or service account name)")}
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		u, err := st.User(ctx, id)
		return explainNotFound(u, err, fmt.Sprintf("no user with id %d", id))
	}
	if strings.Contains(ref, "@") {
		return userByEmail(ctx, st, ref)
	}
	u, err := st.UserByIdentity(ctx, gatehouse.IssuerService, ref)
	return explainNotFound(u, err, fmt.Sprintf(
		"no service account named %q (people are named by email address or id; see 'gatehouse users list')", ref))
}

// explainNotFound replaces a store's not-found error with msg.
func explainNotFound(u *gatehouse.User, err error, msg string) (*gatehouse.User, error) {
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return nil, gatehouse.Errorf(gatehouse.CodeNotFound, "%s", msg)
	}
	return u, err
}

func userByEmail(ctx context.Context, st gatehouse.UserStore, email string) (*gatehouse.User, error) {
	us, err := st.Users(ctx, email)
	switch {
	case err != nil:
		return nil, err
	case len(us) == 0:
		return nil, gatehouse.Errorf(gatehouse.CodeNotFound, "no user with email %q", email)
	case len(us) > 1:
		ids := make([]string, len(us))
		for i, u := range us {
			ids[i] = strconv.FormatInt(u.ID, 10)
		}
		return nil, gatehouse.Errorf(gatehouse.CodeConflict, "%d users have email %q (ids %s): name one by id", len(us), email, strings.Join(ids, ", "))
	}
	return us[0], nil
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printable replaces characters that could control a terminal, for text
// that came from outside (names from an identity provider, addresses).
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
			return '?'
		}
		return r
	}, s)
}

// explain shortens an error that carries a client-safe message to that
// message; internal errors keep their whole chain, for the operator.
func explain(err error) error {
	var u usageError
	switch {
	case err == nil, errors.As(err, &u), errors.Is(err, flag.ErrHelp):
		return err
	case gatehouse.ErrorCode(err) == gatehouse.CodeInternal:
		return err
	}
	return shortError{gatehouse.ErrorMessage(err), err}
}

// shortError shows msg and keeps err for errors.Is and errors.As.
type shortError struct {
	msg string
	err error
}

func (s shortError) Error() string { return s.msg }
func (s shortError) Unwrap() error { return s.err }
