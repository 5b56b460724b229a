package gateway

import (
	"context"
	"net/http"
	"os"
	"time"
)

// install makes t the table in use. Requests in flight finish with the
// table they started with; new ones get t.
func (g *Gateway) install(t *Table) {
	st := &state{table: t, forward: make([]http.Handler, len(t.Rules))}
	byName := map[string]http.Handler{}
	for _, name := range t.UpstreamNames() {
		byName[name] = g.forwarder(t.Upstreams[name])
		st.probes = append(st.probes, t.Upstreams[name])
	}
	for _, r := range t.Rules {
		st.forward[r.index] = byName[r.Upstream]
	}
	g.state.Store(st)
}

// Reload reads the route file again and, if it is valid, uses it for new
// requests. An invalid file is logged and returned, and the table in use is
// kept. The gateway calls it itself (Run) when the file changes; call it
// on SIGHUP.
func (g *Gateway) Reload() error {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	g.seen, _ = os.Stat(g.file)
	return g.reloadLocked()
}

func (g *Gateway) reloadLocked() error {
	t, err := LoadRoutes(g.file, g.opts)
	if err != nil {
		g.log.Error("routes not reloaded; keeping the routes in use", "err", err)
		return err
	}
	g.install(t)
	g.log.Info("routes reloaded", "file", g.file, "rules", len(t.Rules))
	return nil
}

// Run reloads the route file whenever its size, modification time or
// identity changes (checked every ReloadInterval), and runs the
// Assertions' Run, until ctx ends; it then returns nil. A file that fails
// to load is not tried again until it changes again.
func (g *Gateway) Run(ctx context.Context) error {
	if g.assert != nil {
		done := make(chan struct{})
		go func() { g.assert.Run(ctx); close(done) }()
		defer func() { <-done }()
	}
	if g.file == "" {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(g.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			g.reloadIfChanged()
		}
	}
}

func (g *Gateway) reloadIfChanged() {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	now, _ := os.Stat(g.file)
	if sameFile(now, g.seen) {
		return
	}
	g.seen = now
	g.reloadLocked() // logged inside
}

// sameFile reports whether a and b describe the same, unchanged file.
func sameFile(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
