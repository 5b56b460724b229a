package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/keyring"
)

// cmdKeys is "gatehouse keys": manage a user's API keys under the same
// rules as the REST API (package keyring). A new secret is printed alone on
// stdout, so that KEY=$(gatehouse keys create ...) captures it.
func cmdKeys(ctx context.Context, e env, args []string) error {
	return subcommand(ctx, e, "keys", args, map[string]func(context.Context, env, []string) error{
		"create": keysCreate, "list": keysList, "revoke": keysRevoke, "delete": keysDelete, "roll": keysRoll,
	}, []string{"create", "list", "revoke", "delete", "roll"})
}

// keyTask is what every keys subcommand has at hand once parsed.
type keyTask struct {
	st    migrator
	keys  *keyring.Service
	owner *gatehouse.User
}

// withKeys opens the store, finds the owner and runs fn.
func withKeys(ctx context.Context, c *serveConfig, userRef string, write bool, fn func(t keyTask) error) error {
	st, err := openStore(ctx, c, write)
	if err != nil {
		return err
	}
	defer st.Close()
	owner, err := resolveUser(ctx, st, userRef)
	if err != nil {
		return explain(err)
	}
	ks, err := newKeyring(st, c)
	if err != nil {
		return err
	}
	return explain(fn(keyTask{st: st, keys: ks, owner: owner}))
}

func keysCreate(ctx context.Context, e env, args []string) error {
	var user, label, expires string
	var scopes listFlag
	var asJSON bool
	c, pos, err := parseOp(opCommand{"keys create",
		"keys create --user USER --label LABEL --scope SCOPE [--scope SCOPE...] [--expires 90d|2027-01-01] [--json]",
		func(fs *flag.FlagSet) {
			fs.StringVar(&user, "user", "", "the key's owner: user id, email or service account `name` (required)")
			fs.StringVar(&label, "label", "", "the key's `label`, unique per owner (required)")
			fs.Var(&scopes, "scope", "a `scope` the key carries (repeatable, or comma-separated)")
			fs.StringVar(&expires, "expires", "", "expiry: a `duration` (90d, 2w, 1y, 12h) or an RFC 3339 time or date; default never")
			fs.BoolVar(&asJSON, "json", false, "print the key (secret included) as JSON")
		}}, e, args)
	if err == nil {
		err = wantArgs(pos)
	}
	if err != nil {
		return err
	}
	req, err := createRequest(label, scopes, expires)
	if err != nil {
		return explain(err)
	}
	return withKeys(ctx, c, user, true, func(t keyTask) error {
		created, err := t.keys.Create(ctx, keyring.Actor{}, t.owner.ID, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "Created key %s (%q) for %s, scopes %s.\n", created.Key.ID, created.Key.Label,
			describeUser(t.owner), created.Key.Scopes)
		return printSecret(e, t.keys, created, asJSON)
	})
}

// createRequest builds the keyring request from the flags.
func createRequest(label string, scopes listFlag, expires string) (keyring.CreateRequest, error) {
	req := keyring.CreateRequest{Label: label}
	for _, s := range scopes {
		req.Scopes = append(req.Scopes, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	if expires == "" {
		return req, nil
	}
	if at, err := parseTime(expires); err == nil {
		req.ExpiresAt = &at
		return req, nil
	}
	req.ExpiresIn = expires
	return req, nil
}

// parseTime reads an RFC 3339 time or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// printSecret prints a new secret alone on stdout (or the whole key as
// JSON) and the warning to store it on stderr.
func printSecret(e env, ks *keyring.Service, c keyring.Created, asJSON bool) error {
	if !c.Key.Expires.IsZero() {
		fmt.Fprintf(e.stderr, "It expires %s.\n", c.Key.Expires.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(e.stderr, "Prefix: %s\n%s\n", c.Key.Prefix, keyring.Warning)
	if asJSON {
		return writeJSON(e.stdout, ks.CreatedView(c))
	}
	_, err := fmt.Fprintln(e.stdout, c.Secret)
	return err
}

func keysList(ctx context.Context, e env, args []string) error {
	var user string
	var asJSON bool
	c, pos, err := parseOp(opCommand{"keys list", "keys list --user USER [--json]", func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "the keys' owner: user id, email or service account `name` (required)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
	}}, e, args)
	if err == nil {
		err = wantArgs(pos)
	}
	if err != nil {
		return err
	}
	return withKeys(ctx, c, user, false, func(t keyTask) error {
		keys, err := t.keys.List(ctx, t.owner.ID)
		if err != nil {
			return err
		}
		views := make([]keyring.KeyView, len(keys))
		for i, k := range keys {
			views[i] = t.keys.View(k)
		}
		if asJSON {
			return writeJSON(e.stdout, views)
		}
		return printKeys(e, views)
	})
}

func printKeys(e env, views []keyring.KeyView) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLABEL\tPREFIX\tSCOPES\tSTATUS\tCREATED\tEXPIRES\tLAST USED\tFROM")
	for _, v := range views {
		expires := when(v.Expires)
		if v.Expires.IsZero() {
			expires = "never"
		}
		lastUsed := when(v.LastUsed)
		if v.LastUsed.IsZero() {
			lastUsed = "never"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, printable(v.Label), v.Prefix,
			strings.Join(v.Scopes, ","), v.Status, when(v.Created), expires, lastUsed, orDash(printable(v.LastUsedAddr)))
	}
	return tw.Flush()
}

// keyIDCommand parses the flags of revoke, delete and roll: --user, --json
// and the key id; extra adds the command's own flags.
func keyIDCommand(name, synopsis string, e env, args []string, extra func(*flag.FlagSet)) (c *serveConfig, user, id string, asJSON bool, err error) {
	c, pos, err := parseOp(opCommand{"keys " + name, "keys " + name + " --user USER " + synopsis, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "the key's owner: user id, email or service account `name` (required)")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		extra(fs)
	}}, e, args)
	if err == nil {
		err = wantArgs(pos, "ID")
	}
	if err != nil {
		return nil, "", "", false, err
	}
	return c, user, pos[0], asJSON, nil
}

func keysRevoke(ctx context.Context, e env, args []string) error {
	c, user, id, asJSON, err := keyIDCommand("revoke", "ID [--json]", e, args, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	return withKeys(ctx, c, user, true, func(t keyTask) error {
		k, err := t.keys.Revoke(ctx, keyring.Actor{}, t.owner.ID, id)
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(e.stdout, t.keys.View(k))
		}
		_, err = fmt.Fprintf(e.stdout, "revoked key %s (%q) of %s\n", k.ID, k.Label, describeUser(t.owner))
		return err
	})
}

func keysDelete(ctx context.Context, e env, args []string) error {
	c, user, id, _, err := keyIDCommand("delete", "ID", e, args, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	return withKeys(ctx, c, user, true, func(t keyTask) error {
		if err := t.keys.Delete(ctx, keyring.Actor{}, t.owner.ID, id); err != nil {
			return err
		}
		_, err := fmt.Fprintf(e.stdout, "deleted key %s of %s\n", id, describeUser(t.owner))
		return err
	})
}

func keysRoll(ctx context.Context, e env, args []string) error {
	var graceText string
	c, user, id, asJSON, err := keyIDCommand("roll", "[--grace 1h] ID [--json]", e, args, func(fs *flag.FlagSet) {
		fs.StringVar(&graceText, "grace", "", "how long the old secret keeps working (`duration`, at most 7d); default: it stops at once")
	})
	if err != nil {
		return err
	}
	var grace time.Duration
	if graceText != "" && graceText != "0" {
		if grace, err = keyring.ParseDuration(graceText); err != nil {
			return explain(err)
		}
	}
	return withKeys(ctx, c, user, true, func(t keyTask) error {
		rolled, err := t.keys.Roll(ctx, keyring.Actor{}, t.owner.ID, id, grace)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "Rolled key %s (%q) of %s.", rolled.Key.ID, rolled.Key.Label, describeUser(t.owner))
		if grace > 0 {
			fmt.Fprintf(e.stderr, " The old secret works until %s.", rolled.Key.PrevExpires.UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(e.stderr)
		return printSecret(e, t.keys, rolled, asJSON)
	})
}
