package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/gatehouse-dev/gatehouse/policy"
)

// loadPolicy returns the authorizer for the policy file, or for the
// built-in blog policy when path is empty.
func loadPolicy(path string, log *slog.Logger) (*policy.Authorizer, error) {
	cfg := policy.Config{Logger: log}
	if path != "" {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("invalid setting policy: %w", err)
		}
		cfg.Source, cfg.Name = src, path
	}
	a, err := policy.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("invalid setting policy: %w", err)
	}
	return a, nil
}

// cmdPolicy is "gatehouse policy check FILE": validate a Cedar policy
// against the blog's schema without starting.
func cmdPolicy(ctx context.Context, e env, args []string) error {
	if len(args) != 2 || args[0] != "check" {
		return usageError{errors.New("usage: gatehouse policy check FILE")}
	}
	src, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	if err := policy.Check(src, args[1]); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: OK\n", args[1])
	return nil
}
