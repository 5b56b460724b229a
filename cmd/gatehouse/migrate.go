package main

import (
	"context"
	"fmt"
)

// cmdMigrate is "gatehouse migrate": create the store if needed and apply
// the pending schema migrations.
func cmdMigrate(ctx context.Context, e env, args []string) error {
	var s storeSettings
	fs := newFlagSet("migrate", e.stderr)
	s.register(fs, e.getenv)
	if err := parseSettings(fs, args, e.getenv); err != nil {
		return err
	}
	st, err := s.open(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(e.stdout, "the schema is up to date")
	}
	for _, m := range applied {
		fmt.Fprintln(e.stdout, "applied", m)
	}
	return nil
}
