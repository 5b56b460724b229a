// Package console is Gatehouse's web console: server-rendered pages where a
// signed-in person manages their API keys and sessions, edits the posts the
// policy lets them edit, and reads their audit log.
//
// # Pages
//
// The pages are html/template files and one stylesheet embedded in the
// binary; there is no build step and no framework. They work with
// JavaScript switched off: the one script, copy.js, only adds a copy
// button beside a new key. Every page sends a strict Content-Security-Policy
// (PageCSP) that allows no inline script or style.
//
// # Rules
//
// The console decides nothing itself. Keys go through keyring.Service, with
// the same rules as the REST API; posts go through blog.Service, which asks
// the policy, so a button the policy would refuse is not shown and a forged
// form is refused anyway. Every change is a POST, checked by
// http.CrossOriginProtection on top of the session cookie's SameSite=Strict.
//
// # Secrets
//
// A new or rolled key's secret appears in exactly one response: the answer
// to the POST that made it, sent with Cache-Control: no-store. It never
// appears in a URL, a redirect, a log line or any later page.
package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/blog"
	"github.com/gatehouse-dev/gatehouse/keyring"
	"github.com/gatehouse-dev/gatehouse/policy"
)

// PageCSP is the Content-Security-Policy of every console page: only the
// console's own stylesheet and script, no inline code, forms only to this
// origin, and no framing.
const PageCSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Provider is an identity provider a signed-out visitor may sign in with.
type Provider struct {
	Name        string // the configured name, e.g. "dev" or "google"
	DisplayName string // what the button says, e.g. "Google"
	LoginURL    string // a local URL that starts the sign-in, e.g. /auth/login?provider=google
}

// Sessions is what the console needs of the session manager
// (session.Manager implements it).
type Sessions interface {
	// List returns the user's active sessions, newest first.
	List(ctx context.Context, userID int64) ([]*gatehouse.Session, error)
	// EndOne ends one of the user's sessions; another user's id is
	// CodeNotFound.
	EndOne(ctx context.Context, userID int64, id string) error
	// EndAll ends every session of the user and returns how many.
	EndAll(ctx context.Context, userID int64) (int, error)
	// End ends the session the request carries and clears its cookie.
	End(ctx context.Context, w http.ResponseWriter, r *http.Request) error
}

// Config holds a Console's dependencies and settings.
type Config struct {
	// Keys manages API keys. Required.
	Keys *keyring.Service
	// Posts serves the blog's posts under its policy. Nil leaves the posts
	// pages out: no page links to them and their handlers answer 404.
	Posts *blog.Service
	// Policy is the Authorizer the blog's Service uses; the posts page asks
	// it which edit buttons to show. Required with Posts.
	Policy *policy.Authorizer
	// Audit is read for the audit page. Required.
	Audit gatehouse.AuditStore
	// Users names the people in an admin's audit page. Required.
	Users gatehouse.UserStore
	// Sessions lists and ends sessions. Required.
	Sessions Sessions
	// Providers are offered on the signed-out home page, in order.
	Providers []Provider
	// LogoutURL is where the "Sign out" form posts; "" means /auth/logout.
	LogoutURL string
	// BasePath is the path the console is served under, such as
	// "/.gatehouse": every link, form action, redirect and asset URL the
	// console emits starts with it, and the routes must be mounted there
	// (see BasePath). "" serves the pages at the root: /, /keys, /assets/.
	// It starts with "/" and does not end with one.
	BasePath string
	// SamplePath is the path the sample programs on a key's pages call;
	// "" means SamplePath.
	SamplePath string
	// ClientAddr returns the client's address for the audit log; nil
	// means the host part of r.RemoteAddr.
	ClientAddr func(r *http.Request) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives internal errors; nil discards them.
	Logger *slog.Logger
}

// Console serves the pages. Its methods are http.HandlerFunc values for the
// server's route table; each names its route. It is safe for concurrent use.
type Console struct {
	keys       *keyring.Service
	posts      *blog.Service
	policy     *policy.Authorizer
	audit      gatehouse.AuditStore
	users      gatehouse.UserStore
	sessions   Sessions
	providers  []Provider
	logoutURL  string
	base       string
	samplePath string
	clientAddr func(*http.Request) string
	now        func() time.Time
	log        *slog.Logger
	pages      func() (*template.Template, error) // parsed at the first page served
	assets     map[string]asset
	assetURLs  map[string]string
	cop        *http.CrossOriginProtection
}

// New returns a Console for cfg, or an error when a dependency is missing.
func New(cfg Config) (*Console, error) {
	if cfg.Keys == nil || cfg.Audit == nil || cfg.Users == nil || cfg.Sessions == nil {
		return nil, errors.New("console: Keys, Audit, Users and Sessions are required")
	}
	if cfg.Posts != nil && cfg.Policy == nil {
		return nil, errors.New("console: Posts needs Policy")
	}
	if err := checkBasePath(cfg.BasePath); err != nil {
		return nil, err
	}
	// The templates are parsed here so that an error stops start-up, but
	// kept only once a page is served: a gateway whose console is never
	// opened does not carry their parse trees, which every cycle of the
	// garbage collector would scan.
	if _, err := parsePages(cfg.BasePath); err != nil {
		return nil, err
	}
	pages := sync.OnceValues(func() (*template.Template, error) { return parsePages(cfg.BasePath) })
	assets, urls, err := loadAssets(cfg.BasePath)
	if err != nil {
		return nil, err
	}
	c := &Console{
		keys: cfg.Keys, posts: cfg.Posts, policy: cfg.Policy, audit: cfg.Audit, users: cfg.Users, sessions: cfg.Sessions,
		providers: cfg.Providers, logoutURL: cfg.LogoutURL, base: cfg.BasePath, samplePath: cfg.SamplePath, clientAddr: cfg.ClientAddr,
		now: cfg.Now, log: cfg.Logger, pages: pages, assets: assets, assetURLs: urls, cop: http.NewCrossOriginProtection(),
	}
	if c.logoutURL == "" {
		c.logoutURL = "/auth/logout"
	}
	if c.samplePath == "" {
		c.samplePath = SamplePath
	}
	if c.clientAddr == nil {
		c.clientAddr = remoteHost
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// checkBasePath accepts "" or a path of plain segments ("/a/b"): letters,
// digits and "-._~", no empty, "." or ".." segment, no trailing "/". It
// goes into links and route patterns as it is, so nothing else may.
func checkBasePath(p string) error {
	if p == "" {
		return nil
	}
	ok := strings.HasPrefix(p, "/")
	for seg := range strings.SplitSeq(strings.TrimPrefix(p, "/"), "/") {
		ok = ok && seg != "" && seg != "." && seg != ".." && strings.Trim(seg, pathChars) == ""
	}
	if !ok {
		return fmt.Errorf("console: BasePath %q: want \"\" or plain segments such as \"/.gatehouse\", without a trailing \"/\"", p)
	}
	return nil
}

// pathChars are the characters a BasePath segment may hold.
const pathChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"

// BasePath returns the path the console is served under ("" at the root).
func (c *Console) BasePath() string { return c.base }

// path returns the console's URL for p, a path from its root ("/keys").
func (c *Console) path(p string) string { return c.base + p }

// remoteHost is the default ClientAddr: the host part of r.RemoteAddr.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// notFound is the answer for anything the caller may not see.
func notFound() error { return gatehouse.Errorf(gatehouse.CodeNotFound, "There is nothing here.") }

// actor returns the request's principal as the keyring's audit actor.
func (c *Console) actor(r *http.Request, p *gatehouse.Principal) keyring.Actor {
	return keyring.Actor{UserID: p.UserID, Addr: c.clientAddr(r)}
}
