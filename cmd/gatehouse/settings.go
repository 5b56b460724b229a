package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// listFlag is a repeatable flag; from the environment it takes a
// comma-separated list, from the config file a YAML list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// newFlagSet returns a FlagSet that reports errors instead of exiting and
// prints its usage to w.
func newFlagSet(name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gatehouse "+name, flag.ContinueOnError)
	// The flag package prints a refused value in its error; a value may be
	// a secret, so its output is discarded and parseSettings reports errors.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fs.SetOutput(w)
		defer fs.SetOutput(io.Discard)
		fmt.Fprintf(w, "usage: gatehouse %s [flags]\n\n", name)
		fmt.Fprintf(w, "Every flag can also be set as a GATEHOUSE_* environment variable (--tls-cert is\nGATEHOUSE_TLS_CERT; lists are comma-separated) or as a key of the YAML file named by\n--config. Precedence: flags, then the environment, then the file, then the defaults.\n")
		if fs.Lookup("dev") != nil {
			fmt.Fprintf(w, "Only the command line sets --dev.\n")
		}
		fmt.Fprintln(w)
		fs.PrintDefaults()
	}
	return fs
}

// envName is the environment variable of a flag: --tls-cert is GATEHOUSE_TLS_CERT.
func envName(flagName string) string {
	return "GATEHOUSE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseSettings parses args into fs, then fills every flag not given on the
// command line from the environment and then from the config file named by
// the flag "config" (when fs has one and it is set). A mistake names the
// setting and what is wrong with it.
func parseSettings(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	usage := fs.Usage
	fs.Usage = func() {} // a mistake gets one line, not the whole usage
	err := fs.Parse(args)
	fs.Usage = usage
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage()
			return err
		}
		return usageError{redactValue(err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fs.VisitAll(func(f *flag.Flag) {
		v := getenv(envName(f.Name))
		if err == nil && v != "" && flagOnly[f.Name] != "" {
			err = fmt.Errorf("invalid setting %s (from %s): %s", f.Name, envName(f.Name), flagOnly[f.Name])
		}
		if err != nil || set[f.Name] || v == "" {
			return
		}
		set[f.Name] = true
		err = setValue(fs, f.Name, splitEnv(f, v), envName(f.Name))
	})
	if err != nil {
		return err
	}
	if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
		return applyFile(fs, f.Value.String(), set)
	}
	return nil
}

// flagOnly are the settings that only a command-line flag may set, with
// why: a variable left in a shell profile or a key copied into a
// production config file must not turn them on.
var flagOnly = map[string]string{
	"dev": "the development OpenID provider signs anyone in as a demo person, so it starts only with the --dev flag, never from the environment or a config file",
}

// flagValueError matches the flag package's "invalid value %q for flag -%s: %v".
var flagValueError = regexp.MustCompile(`^invalid (?:boolean )?value ".*" for flag -(\S+): `)

// redactValue rewrites the flag package's error for a refused value so
// that it names the setting but not the value, which may be a secret.
func redactValue(err error) error {
	msg := err.Error()
	if m := flagValueError.FindStringSubmatchIndex(msg); m != nil {
		return fmt.Errorf("invalid setting %s: %s", msg[m[2]:m[3]], msg[m[1]:])
	}
	return err
}

func splitEnv(f *flag.Flag, v string) []string {
	if _, ok := f.Value.(*listFlag); ok {
		return strings.Split(v, ",")
	}
	return []string{v}
}

func setValue(fs *flag.FlagSet, name string, vals []string, source string) error {
	for _, v := range vals {
		if err := fs.Set(name, strings.TrimSpace(v)); err != nil {
			return fmt.Errorf("invalid setting %s (from %s): %w", name, source, errors.Unwrap(err))
		}
	}
	return nil
}

// applyFile reads a YAML map of setting names to values. A key that is not
// a setting, or a value of the wrong shape, is an error naming the key.
func applyFile(fs *flag.FlagSet, path string, set map[string]bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("invalid setting config: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if fs.Lookup(k) == nil || k == "config" {
			return fmt.Errorf("config file %s: unknown setting %q", path, k)
		}
		if why := flagOnly[k]; why != "" {
			return fmt.Errorf("invalid setting %s (from %s): %s", k, path, why)
		}
		if set[k] {
			continue
		}
		vals, err := fileValues(m[k])
		if err != nil {
			return fmt.Errorf("config file %s: setting %q: %w", path, k, err)
		}
		if err := setValue(fs, k, vals, path); err != nil {
			return err
		}
	}
	return nil
}

func fileValues(v any) ([]string, error) {
	switch v := v.(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, err := fileValues(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
		return out, nil
	case map[string]any:
		return nil, errors.New("want a value or a list, not a map")
	case nil:
		return nil, nil
	}
	return []string{fmt.Sprint(v)}, nil
}
