package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

// TestServeHelpListsEverySetting: "serve --help" documents every flag
// serve registers, each with its default when it has one.
func TestServeHelpListsEverySetting(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--help"}, func(string) string { return "" }, io.Discard, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve --help: %v", err)
	}
	entries := helpEntries(out.String())
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	(&serveConfig{}).register(fs, func(string) string { return "" })
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		entry, ok := entries[f.Name]
		if !ok {
			t.Errorf("--%s is not in serve --help", f.Name)
			return
		}
		if strings.TrimSpace(f.Usage) != "" && !strings.Contains(entry, firstWords(f.Usage)) {
			t.Errorf("--%s: its description is not in the help:\n%s", f.Name, entry)
		}
		switch f.DefValue {
		case "", "false", "0", "0s":
			return // the flag package prints no default for a zero value
		}
		if !strings.Contains(entry, `(default "`+f.DefValue+`")`) && !strings.Contains(entry, "(default "+f.DefValue+")") {
			t.Errorf("--%s: the default %q is not in the help:\n%s", f.Name, f.DefValue, entry)
		}
	})
	if n < 20 || len(entries) != n {
		t.Errorf("help lists %d flags, serve registers %d", len(entries), n)
	}
}

// helpEntries splits flag.PrintDefaults output into one entry per flag,
// keyed by the flag's name.
func helpEntries(help string) map[string]string {
	entries := map[string]string{}
	name := ""
	for _, line := range strings.Split(help, "\n") {
		if rest, ok := strings.CutPrefix(line, "  -"); ok {
			name, _, _ = strings.Cut(rest, " ")
		}
		if name != "" {
			entries[name] += line + "\n"
		}
	}
	return entries
}

// firstWords returns the start of a usage string without its back-quoted
// name, which PrintDefaults moves next to the flag.
func firstWords(usage string) string {
	words := strings.Fields(strings.ReplaceAll(usage, "`", ""))
	return strings.Join(words[:min(3, len(words))], " ")
}
