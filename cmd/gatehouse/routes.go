package main

import (
	"context"
	"fmt"

	"github.com/gatehouse-dev/gatehouse/server"
)

// cmdRoutes is "gatehouse routes": print the effective route table.
func cmdRoutes(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("routes", e.stderr)
	if err := parseSettings(fs, args, e.getenv); err != nil {
		return err
	}
	_, err := fmt.Fprint(e.stdout, server.FormatRoutes(server.Routes()))
	return err
}
