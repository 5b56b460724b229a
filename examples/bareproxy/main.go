// Command bareproxy is the baseline of scripts/proxy-load.sh: Go's
// httputil.ReverseProxy and nothing else (no authentication, rules or
// header rewriting beyond X-Forwarded-*), with everything around it the
// same as "gatehouse proxy": the gateway's transport (gateway.NewTransport),
// the same listener, TLS configuration and certificate (server.Listen with
// the development CA in -data-dir), the same server timeouts, and a copy
// buffer pool. What the two then differ by is Gatehouse's own work.
package main

import (
	"context"
	"flag"
	"log"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/certs"
	"github.com/gatehouse-dev/gatehouse/gateway"
	"github.com/gatehouse-dev/gatehouse/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9443", "HTTPS `address` to listen on")
	upstream := flag.String("upstream", "http://127.0.0.1:9000", "upstream `URL`")
	dataDir := flag.String("data-dir", "", "`directory` of the development CA (required)")
	flag.Parse()
	target, err := url.Parse(*upstream)
	if err != nil || *dataDir == "" {
		log.Fatal("bareproxy: need -upstream URL and -data-dir")
	}
	ca, err := certs.DevCA(*dataDir, certs.DevConfig{})
	if err != nil {
		log.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.SetXForwarded() },
		// As "gatehouse proxy" with its default --upstream-idle-conns and
		// --upstream-timeout.
		Transport:  gateway.NewTransport(256, 30*time.Second),
		BufferPool: &pool{},
	}
	// As "gatehouse proxy" with its default --request-timeout.
	l := server.Listen{
		Addr: *addr, Handler: proxy, TLSConfig: ca.TLSConfig(),
		Timeouts: server.Timeouts{Read: 5 * time.Minute, Write: 5 * time.Minute},
	}
	log.Printf("bare proxy listening on https://%s", *addr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := l.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

// bufferSize is the size of ReverseProxy's copy buffers.
const bufferSize = 32 << 10

// pool lends ReverseProxy its copy buffers, as the gateway's does: array
// pointers, which a returned slice converts back to without allocating.
type pool struct{ p sync.Pool }

func (b *pool) Get() []byte {
	if a, ok := b.p.Get().(*[bufferSize]byte); ok {
		return a[:]
	}
	return new([bufferSize]byte)[:]
}

func (b *pool) Put(buf []byte) {
	if cap(buf) >= bufferSize {
		b.p.Put((*[bufferSize]byte)(buf[:bufferSize]))
	}
}
