package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/certs"
	"github.com/gatehouse-dev/gatehouse/server"
)

// running starts l on loopback and returns its address and a function
// that stops it and returns Run's error.
func running(t *testing.T, l server.Listen) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	l.Addr = "127.0.0.1:0"
	l.Ready = func(a, _ net.Addr) { ready <- a.String() }
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	select {
	case a := <-ready:
		stop := func() error { cancel(); return <-done }
		t.Cleanup(func() { cancel() })
		return a, stop
	case err := <-done:
		t.Fatal(err)
	}
	return "", nil
}

func devTLS(t *testing.T) (*tls.Config, *tls.Config) {
	d, err := certs.DevCA(t.TempDir(), certs.DevConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return d.TLSConfig(), &tls.Config{RootCAs: d.CertPool(), ServerName: "localhost"}
}

// TestGracefulShutdownFinishesRequestsInFlight: a request that is being
// served when shutdown begins still gets its whole response.
func TestGracefulShutdownFinishesRequestsInFlight(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	})
	srvTLS, clientTLS := devTLS(t)
	addr, stop := running(t, server.Listen{Handler: h, TLSConfig: srvTLS})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: clientTLS}}
	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := client.Get("https://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{string(b), err}
	}()
	<-started
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// New connections are refused once shutdown has begun.
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(5 * time.Millisecond) // waiting for the listener to close: no signal to wait on
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "finished" {
		t.Errorf("request in flight: %q, %v", r.body, r.err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestSlowClientsAreCutOff: a client that trickles its headers
// (slowloris) is disconnected after ReadHeader.
func TestSlowClientsAreCutOff(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	addr, _ := running(t, server.Listen{Handler: h, Timeouts: server.Timeouts{ReadHeader: 200 * time.Millisecond}})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n") // and never the blank line
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = bufio.NewReader(c).ReadString('\n')
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the server kept waiting on a client that never finished its headers")
	}
}

// TestHugeHeaderRefused: a 1 MB header gets 431, not a read of it all.
func TestHugeHeaderRefused(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	addr, _ := running(t, server.Listen{Handler: h})
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	req.Header.Set("Authorization", "apikey "+strings.Repeat("a", 1<<20))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("status %d, want 431", resp.StatusCode)
	}
}
