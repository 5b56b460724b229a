package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// otherwise it comes from the module's build information.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// cmdVersion is "gatehouse version".
func cmdVersion(ctx context.Context, e env, args []string) error {
	_, err := fmt.Fprintf(e.stdout, "gatehouse %s\n", versionString())
	return err
}
