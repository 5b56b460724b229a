package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gatehouse-dev/gatehouse/gateway"
	"github.com/gatehouse-dev/gatehouse/server"
)

// cmdRoutes is "gatehouse routes": print the effective route table. With
// --routes FILE it prints the gateway's table from that file, and
// "test METHOD TARGET [HOST]" says which rule decides that request.
func cmdRoutes(ctx context.Context, e env, args []string) error {
	flagArgs, rest, err := splitTestArgs(e, args)
	if err != nil {
		return err
	}
	c := &proxyConfig{}
	fs := newFlagSet("routes", e.stderr)
	c.register(fs, e.getenv)
	if err := parseSettings(fs, flagArgs, e.getenv); err != nil {
		return err
	}
	if c.routesFile == "" {
		if rest != nil {
			return usageError{errors.New("routes test needs --routes FILE")}
		}
		_, err := fmt.Fprint(e.stdout, server.FormatRoutes(server.Routes()))
		return err
	}
	tab, err := gateway.LoadRoutes(c.routesFile, c.routeOptions())
	if err != nil {
		return err
	}
	if rest == nil {
		return printGatewayRoutes(e.stdout, tab)
	}
	return testRoute(e.stdout, tab, rest)
}

// splitTestArgs splits "[flags] test METHOD TARGET [HOST]" into the flags
// and what follows "test" (nil without it).
func splitTestArgs(e env, args []string) (flags, rest []string, err error) {
	fs := newFlagSet("routes", io.Discard)
	(&proxyConfig{}).register(fs, e.getenv)
	if err := fs.Parse(args); err != nil {
		return args, nil, nil // parseSettings reports it
	}
	pos := fs.Args()
	if len(pos) == 0 {
		return args, nil, nil
	}
	if pos[0] != "test" || len(pos) < 3 || len(pos) > 4 {
		return nil, nil, usageError{errors.New("usage: gatehouse routes --routes FILE [test METHOD TARGET [HOST]]")}
	}
	return args[:len(args)-len(pos)], pos[1:], nil
}

// printGatewayRoutes writes the table with what each rule asks.
func printGatewayRoutes(w io.Writer, t *gateway.Table) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-5s %-36s %-44s %s\n", "LINE", "PATTERN", "ACCESS", "UPSTREAM")
	for _, r := range t.Rules {
		up := "-"
		if r.Access != gateway.AccessDeny {
			up = r.Upstream + " " + t.Upstreams[r.Upstream].URL.String()
		}
		fmt.Fprintf(&b, "%-5d %-36s %-44s %s\n", r.Line, r.Pattern, r.Describe(), up)
	}
	fmt.Fprintf(&b, "%-5s %-36s %s\n", "", "(reserved)", "served by the gateway itself: "+strings.Join(gateway.Reserved(), " "))
	fmt.Fprintf(&b, "%-5s %-36s %s\n", "", "(anything else)", "deny (401 without a credential, 403 with one)")
	if t.FoldCase {
		b.WriteString("Paths are matched without regard to case (fold_case).\n")
	}
	b.WriteString("The most specific pattern decides, whatever the order (http.ServeMux precedence).\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// testRoute says which rule decides METHOD TARGET [HOST].
func testRoute(w io.Writer, t *gateway.Table, args []string) error {
	host := ""
	if len(args) == 3 {
		host = args[2]
	}
	ex, err := t.Explain(args[0], args[1], host)
	if err != nil {
		return usageError{err}
	}
	_, err = fmt.Fprintf(w, "%s %s: %s\n", args[0], args[1], ex)
	return err
}
