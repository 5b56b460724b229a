// Command bareproxy is the baseline of scripts/proxy-load.sh: Go's
// httputil.ReverseProxy with a tuned transport and the same TLS as
// "gatehouse proxy" (the development CA in -data-dir), and nothing else:
// no authentication, rules or header rewriting.
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse/certs"
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
		Rewrite:    func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.SetXForwarded() },
		Transport:  transport(),
		BufferPool: &pool{},
	}
	srv := &http.Server{Addr: *addr, Handler: proxy, TLSConfig: ca.TLSConfig(), ReadHeaderTimeout: 10 * time.Second}
	log.Printf("bare proxy listening on https://%s", *addr)
	log.Fatal(srv.ListenAndServeTLS("", ""))
}

// transport is tuned as PERFORMANCE.md says: idle connections for the
// expected concurrency instead of Go's default of two.
func transport() *http.Transport {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext: d.DialContext, MaxIdleConns: 1024, MaxIdleConnsPerHost: 256,
		IdleConnTimeout: 90 * time.Second, ResponseHeaderTimeout: 30 * time.Second, DisableCompression: true,
	}
}

// pool lends ReverseProxy its copy buffers.
type pool struct{ p sync.Pool }

func (b *pool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *pool) Put(buf []byte) { b.p.Put(&buf) }
