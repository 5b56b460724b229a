// Command upstream is a tiny API to put behind "gatehouse proxy". It has
// no authentication of its own: it reads who is calling from the
// X-Gatehouse-* headers, which the gateway sets after removing whatever
// the client sent. It therefore listens on loopback only, where nothing
// but the gateway can reach it.
//
//	go run ./examples/upstream                     # http://127.0.0.1:9000
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "`address` to listen on (keep it on loopback)")
	flag.Parse()
	srv := &http.Server{Addr: *addr, Handler: routes(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("upstream listening on http://%s", *addr)
	log.Fatal(srv.ListenAndServe())
}

func routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /public/hello", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]string{"hello": "world"})
	})
	mux.HandleFunc("GET /api/hello", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]string{"hello": "user " + r.Header.Get("X-Gatehouse-User-Id")})
	})
	mux.HandleFunc("GET /api/whoami", whoami)
	mux.HandleFunc("GET /api/admin/stats", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]any{"users": 3, "asked_by": r.Header.Get("X-Gatehouse-User-Id")})
	})
	return mux
}

// whoami answers with the identity headers the gateway set.
func whoami(w http.ResponseWriter, r *http.Request) {
	id := map[string]string{}
	for name, v := range r.Header {
		if strings.HasPrefix(name, "X-Gatehouse-") && name != "X-Gatehouse-Assertion" {
			id[strings.ToLower(strings.TrimPrefix(name, "X-Gatehouse-"))] = v[0]
		}
	}
	reply(w, id)
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
