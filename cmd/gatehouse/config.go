package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/gateway"
	"github.com/gatehouse-dev/gatehouse/server"
)

// serveConfig is every setting of "gatehouse serve".
type serveConfig struct {
	store storeSettings

	addr                string
	httpAddr            string
	tlsCert, tlsKey     string
	acmeDomains         listFlag
	acmeEmail           string
	acmeDirectory       string
	insecureBehindProxy bool
	trustedProxies      listFlag
	scopes              listFlag
	keyIdleExpiry       time.Duration
	shutdownTimeout     time.Duration
	sessionLifetime     time.Duration
	sessionIdle         time.Duration
	logFormat           string
	logLevel            string
	policyFile          string
	demo                bool
	providers           providerFlag // sign-in providers (sso.go)
	dev                 bool         // run the development OpenID provider
	publicURL           string

	proxies server.Proxies // parsed from trustedProxies by validate
}

// register adds every serve setting to fs, with its default.
func (c *serveConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	c.store.register(fs, getenv)
	fs.StringVar(&c.addr, "addr", ":8443", "`address` of the HTTPS API")
	fs.StringVar(&c.httpAddr, "http-addr", ":8080", "`address` of the plain-HTTP listener (redirects to HTTPS and ACME HTTP-01 only); \"off\" disables it")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "certificate `file` (PEM, chain included); reloaded when it changes or on SIGHUP")
	fs.StringVar(&c.tlsKey, "tls-key", "", "private key `file` (PEM) for --tls-cert")
	fs.Var(&c.acmeDomains, "acme-domain", "`domain` to obtain a certificate for over ACME (repeatable); the only names served")
	fs.StringVar(&c.acmeEmail, "acme-email", "", "contact `email` for the ACME account")
	fs.StringVar(&c.acmeDirectory, "acme-directory", "https://acme-v02.api.letsencrypt.org/directory", "ACME directory `URL`")
	fs.BoolVar(&c.insecureBehindProxy, "insecure-behind-proxy", false, "serve the API over plain HTTP on --addr, for a trusted TLS-terminating load balancer named by --trusted-proxy")
	fs.Var(&c.trustedProxies, "trusted-proxy", "`address or CIDR` of a proxy whose X-Forwarded-For/-Proto are believed, and -Host, which gatehouse proxy passes on to the upstream (repeatable); default none")
	fs.Var(&c.scopes, "scope", "extra `scope` keys may carry, besides read, write, keys and admin (repeatable)")
	fs.DurationVar(&c.keyIdleExpiry, "key-idle-expiry", 0, "keys unused for this `duration` expire on their own (0: never)")
	fs.DurationVar(&c.sessionLifetime, "session-lifetime", 12*time.Hour, "how long a browser session lasts after sign-in, used or not")
	fs.DurationVar(&c.sessionIdle, "session-idle", time.Hour, "how long a browser session may go unused before it ends")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long shutdown waits for requests in flight")
	fs.StringVar(&c.policyFile, "policy", "", "Cedar policy `file` for the blog, replacing the built-in one; validated at start-up")
	fs.BoolVar(&c.demo, "demo", false, "seed demo users and posts, and print a read and a read-write key for each demo user the first time")
	fs.Var(&c.providers, "provider", providerUsage)
	fs.BoolVar(&c.dev, "dev", false, "also run a development OpenID provider at /dev-oidc/ with demo people (author, editor, reader), registered as provider \"dev\"; for development only")
	fs.StringVar(&c.publicURL, "public-url", "", "https `origin` browsers reach the server at, for sign-in callbacks (default https://localhost:PORT of --addr)")
	fs.StringVar(&c.logFormat, "log-format", "auto", "log `format`: text, json, or auto (text on a terminal, JSON otherwise)")
	fs.StringVar(&c.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
}

// validate checks the settings without touching the network or the disk;
// each mistake is one line naming the setting.
func (c *serveConfig) validate() error {
	errs := []error{c.store.validate()}
	check := func(name string, ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("invalid setting %s: "+format, append([]any{name}, args...)...))
		}
	}
	check("addr", validAddr(c.addr), "%q is not a host:port address with a port from 0 to 65535", c.addr)
	check("http-addr", c.httpAddr == "off" || validAddr(c.httpAddr), "%q is not a host:port address with a port from 0 to 65535 (or \"off\")", c.httpAddr)
	check("tls-key", (c.tlsCert == "") == (c.tlsKey == ""), "--tls-cert and --tls-key go together")
	check("acme-domain", len(c.acmeDomains) == 0 || c.tlsCert == "", "use either --acme-domain or --tls-cert, not both")
	for _, d := range c.acmeDomains {
		check("acme-domain", validDomain(d), "%q is not a DNS name", d)
	}
	if u, err := url.Parse(c.acmeDirectory); err != nil || u.Scheme != "https" || u.Host == "" {
		check("acme-directory", false, "%q is not an https URL", c.acmeDirectory)
	}
	var err error
	c.proxies, err = server.ParseProxies(c.trustedProxies)
	check("trusted-proxy", err == nil, "%v", err)
	check("insecure-behind-proxy", !c.insecureBehindProxy || len(c.trustedProxies) > 0, "name the load balancer with --trusted-proxy")
	check("insecure-behind-proxy", !c.insecureBehindProxy || (c.tlsCert == "" && len(c.acmeDomains) == 0), "a plain-HTTP API takes no certificate settings")
	for _, s := range c.scopes {
		check("scope", gatehouse.ValidScopeName(s), "%q is not a scope name (lower-case letters, digits, _.:-)", s)
	}
	check("key-idle-expiry", c.keyIdleExpiry >= 0, "must not be negative")
	check("shutdown-timeout", c.shutdownTimeout > 0, "must be positive")
	check("session-lifetime", c.sessionLifetime > 0, "must be positive")
	check("session-idle", c.sessionIdle > 0 && c.sessionIdle <= c.sessionLifetime, "must be positive and at most --session-lifetime")
	check("log-format", c.logFormat == "auto" || c.logFormat == "text" || c.logFormat == "json", "want text, json or auto")
	_, lerr := parseLevel(c.logLevel)
	check("log-level", lerr == nil, "want debug, info, warn or error")
	errs = append(errs, c.checkProviders())
	return errors.Join(errs...)
}

// knownScopes returns the built-in scopes and the deployment's own.
func (c *serveConfig) knownScopes() gatehouse.Scopes {
	all := append([]gatehouse.Scope{}, gatehouse.BuiltinScopes...)
	for _, s := range c.scopes {
		all = append(all, gatehouse.Scope(s))
	}
	return gatehouse.NewScopes(all...)
}

// validAddr reports whether a is host:port with a port that net.Listen
// accepts: a number from 0 to 65535 or a service name.
func validAddr(a string) bool {
	_, port, err := net.SplitHostPort(a)
	if err != nil || port == "" {
		return false
	}
	_, err = net.LookupPort("tcp", port)
	return err == nil
}

func validDomain(d string) bool {
	if d == "" || len(d) > 253 || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
		return false
	}
	for _, r := range d {
		if !(r == '.' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return net.ParseIP(d) == nil
}

// loadServeConfig parses and validates the serve settings.
func loadServeConfig(name string, e env, args []string) (*serveConfig, error) {
	c := &serveConfig{}
	fs := newFlagSet(name, e.stderr)
	c.register(fs, e.getenv)
	if err := parseSettings(fs, args, e.getenv); err != nil {
		return nil, err
	}
	return c, c.validate()
}

// cmdConfig is "gatehouse config check [--proxy]": validate settings and
// files without starting a server or changing anything; with --proxy, the
// settings of "gatehouse proxy" and its route file.
func cmdConfig(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "check" {
		return usageError{errors.New("usage: gatehouse config check [--proxy] [serve or proxy flags]")}
	}
	if len(args) > 1 && (args[1] == "--proxy" || args[1] == "-proxy") {
		return checkProxyConfig(e, args[2:])
	}
	c, err := loadServeConfig("config check", e, args[1:])
	if err != nil {
		if _, perr := loadProxyConfig("config check", env{getenv: e.getenv, stderr: io.Discard}, args[1:]); perr == nil {
			return fmt.Errorf("%w (these are settings of gatehouse proxy: check them with gatehouse config check --proxy)", err)
		}
		return err
	}
	if err := checkFiles(c); err != nil {
		return err
	}
	if _, err := loadPolicy(c.policyFile, nil); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "configuration OK")
	return nil
}

// checkProxyConfig is "gatehouse config check --proxy": what "gatehouse
// proxy" checks before it touches the store.
func checkProxyConfig(e env, args []string) error {
	c, err := loadProxyConfig("config check --proxy", e, args)
	if err != nil {
		return err
	}
	if err := checkFiles(&c.serveConfig); err != nil {
		return err
	}
	if _, err := gateway.LoadRoutes(c.routesFile, c.routeOptions()); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "proxy configuration OK")
	return nil
}
