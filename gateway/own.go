package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

// The gateway's own endpoints.
const (
	HealthPath = "/.gatehouse/health" // the process is up
	ReadyPath  = "/.gatehouse/ready"  // the store and every upstream answer
)

// readyTimeout bounds the readiness check.
const readyTimeout = 2 * time.Second

// ownRoutes serves the reserved paths.
func (g *Gateway) ownRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthPath, g.health)
	mux.HandleFunc("GET "+ReadyPath, g.readiness)
	if g.assert != nil {
		mux.Handle("GET "+JWKSPath, g.assert)
	}
	fallback := g.reserved
	if fallback == nil {
		fallback = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			problem.Write(w, r, nil, gatehouse.Errorf(gatehouse.CodeNotFound, "There is nothing at this path."))
		})
	}
	mux.Handle("/", fallback)
	return mux
}

// health serves GET /.gatehouse/health.
func (g *Gateway) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": g.version})
}

// readiness serves GET /.gatehouse/ready: 200 when the store (Config.Ready)
// and every upstream answer within two seconds, 503 naming what did not.
func (g *Gateway) readiness(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	checks := g.check(ctx)
	status, word := http.StatusOK, "ready"
	for name, res := range checks {
		if res != "ok" {
			status, word = http.StatusServiceUnavailable, "not ready"
			g.log.WarnContext(ctx, "readiness check failed", "check", name, "err", res)
			checks[name] = "unavailable" // the reason is in the log, not in a public response
		}
	}
	writeJSON(w, status, map[string]any{"status": word, "checks": checks})
}

// check runs the readiness checks concurrently.
func (g *Gateway) check(ctx context.Context) map[string]string {
	st := g.state.Load()
	out := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	record := func(name string, err error) {
		mu.Lock()
		defer mu.Unlock()
		out[name] = "ok"
		if err != nil {
			out[name] = err.Error()
		}
	}
	if g.ready != nil {
		wg.Go(func() { record("store", g.ready(ctx)) })
	}
	for _, u := range st.probes {
		wg.Go(func() { record("upstream "+u.Name, g.probe(ctx, u)) })
	}
	wg.Wait()
	return out
}

// probe checks that u answers: a TCP connection, or a 2xx to GET Health.
func (g *Gateway) probe(ctx context.Context, u *Upstream) error {
	if u.Health == "" {
		host := u.URL.Host
		if u.URL.Port() == "" {
			host = net.JoinHostPort(u.URL.Hostname(), map[string]string{"http": "80", "https": "443"}[u.URL.Scheme])
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", host)
		if err != nil {
			return err
		}
		return c.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.URL.String()+u.Health, nil)
	if err != nil {
		return err
	}
	resp, err := g.transport.RoundTrip(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errors.New("health check answered " + resp.Status)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the status is sent: a write error cannot be reported
}
