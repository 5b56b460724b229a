// Command gatehouse runs the Gatehouse auth layer and manages its users,
// API keys and audit log.
//
// Run "gatehouse help" for the subcommands and "gatehouse serve --help" for
// every setting.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "gatehouse:", err)
		}
		os.Exit(exitCode(err))
	}
}

// env is what every subcommand gets from the process: nothing global.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the HTTPS server (the blog API demo)", cmdServe},
		{"proxy", "put an upstream API behind Gatehouse: --upstream URL --routes FILE", cmdProxy},
		{"migrate", "apply database migrations and exit", cmdMigrate},
		{"config", "config check [--proxy]: validate serve's configuration, or the proxy's, without starting", cmdConfig},
		{"users", "users add|list|set-role|disable|enable: manage users and service accounts", cmdUsers},
		{"keys", "keys create|list|revoke|delete|roll --user USER: manage API keys", cmdKeys},
		{"sessions", "sessions list|end --user USER: list and end a user's browser sessions", cmdSessions},
		{"audit", "list the audit log (filters: --user, --key, --since)", cmdAudit},
		{"policy", "policy check FILE: validate a Cedar policy without starting", cmdPolicy},
		{"routes", "print the route table and what each route requires", cmdRoutes},
		{"version", "print the version", cmdVersion},
	}
}

// run is main without the process: it parses args and runs one subcommand.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	usage(stderr)
	return usageError{fmt.Errorf("unknown command %q", args[0])}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: gatehouse <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'gatehouse <command> --help' for a command's flags.")
}

// usageError marks a mistake in the command line (exit status 2).
type usageError struct{ error }

func (u usageError) Unwrap() error { return u.error }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}
