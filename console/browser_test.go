package console_test

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gatehouse-dev/gatehouse/internal/browsertest"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "rewrite the screenshots in docs/screenshots")

// tab drives one browser tab through the console, failing the test at the
// first error.
type tab struct {
	t      *testing.T
	h      *harness
	ctx    context.Context
	clicks int // clicks made with click
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
}

func run[T any](b *tab, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
	return v
}

func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// text returns the visible text of the page.
func (b *tab) text() string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[string](`document.body.innerText`))
}

// html returns the page's HTML as the browser holds it.
func (b *tab) html() string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
}

// heading waits for the page's h1 and returns it.
func (b *tab) heading() string {
	b.t.Helper()
	return run(b, chromedp.Text(chromedp.CSS("h1")))
}

// checkA11y runs axe-core on the page and fails on any violation.
func (b *tab) checkA11y(name string) {
	b.t.Helper()
	vs, err := browsertest.Axe(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, v := range vs {
		b.t.Errorf("%s: accessibility: %s", name, v)
	}
}

// shot saves a screenshot of the whole page for the docs, with
// -update-screenshots only.
func (b *tab) shot(name string) { b.t.Helper(); b.screenshot(name, false) }

// shotTop saves a screenshot of what the window shows, for long pages.
func (b *tab) shotTop(name string) { b.t.Helper(); b.screenshot(name, true) }

func (b *tab) screenshot(name string, top bool) {
	b.t.Helper()
	if !*updateScreenshots {
		return
	}
	if err := browsertest.Screenshot(b.ctx, filepath.Join("..", "docs", "screenshots", name+".png"), top); err != nil {
		b.t.Fatal(err)
	}
}

// cookies returns the cookies the browser holds.
func (b *tab) cookies() []*network.Cookie {
	b.t.Helper()
	cs, err := browsertest.Cookies(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	return cs
}

// click clicks the element sel finds and counts it.
func (b *tab) click(sel string) {
	b.t.Helper()
	b.clicks++
	b.do(chromedp.Click(chromedp.CSS(sel)))
}

// follow clicks the element sel finds, which leads to another page, and
// waits until that page has loaded.
func (b *tab) follow(sel string) {
	b.t.Helper()
	run(b, chromedp.Evaluate[bool](`document.documentElement.dataset.left = "1"; true`))
	b.click(sel)
	b.waitFor(`document.readyState === "complete" && !document.documentElement.dataset.left`)
}

// waitFor waits until the expression is true in the current page. Pages
// change under it (redirects, a meta refresh), so an evaluation that fails
// because its page went away is tried again on the next one.
func (b *tab) waitFor(expr string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		switch {
		case err == nil && ok:
			return
		case time.Now().After(deadline):
			b.t.Fatalf("browser: %s is still not true at %s (%v)", expr, b.location(), err)
		}
		time.Sleep(20 * time.Millisecond) // the page gives no event for "any new document is ready"
	}
}

// open navigates to path and waits for the page's h1.
func (b *tab) open(path string) string {
	b.t.Helper()
	b.do(chromedp.Navigate(b.h.url + path))
	return b.heading()
}
