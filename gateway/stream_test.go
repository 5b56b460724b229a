package gateway_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

const streamSize = 50 << 20 // 50 MiB

// TestStreamingUpload: a 50 MiB body reaches the upstream while the client
// is still sending it: the gateway does not buffer requests.
func TestStreamingUpload(t *testing.T) {
	firstBytes := make(chan struct{})
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		close(firstBytes)
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, n+1)
	})
	e := newEnv(t, envOpts{upstream: up})
	key := e.key(gatehouse.RoleAuthor, gatehouse.ScopeRead, gatehouse.ScopeWrite)
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		pw.Write(chunk)
		select {
		case <-firstBytes: // the upstream reads before the client has sent 49 MiB more
		case <-time.After(10 * time.Second):
			pw.CloseWithError(fmt.Errorf("the upstream received nothing while the client was sending"))
			return
		}
		for range streamSize/len(chunk) - 1 {
			pw.Write(chunk)
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/upload", pr)
	req.Header.Set("Authorization", "apikey "+key)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != strconv.Itoa(streamSize) {
		t.Fatalf("status %d, upstream received %s bytes, want %d", resp.StatusCode, body, streamSize)
	}
}

// TestStreamingDownload: the client reads the start of a 50 MiB response
// before the upstream has written the rest.
func TestStreamingDownload(t *testing.T) {
	clientGotStart := make(chan struct{})
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte("y"), 1<<20)
		w.Write(chunk)
		http.NewResponseController(w).Flush()
		select {
		case <-clientGotStart:
		case <-time.After(10 * time.Second):
			return // the client then sees a short body
		}
		for range streamSize/len(chunk) - 1 {
			w.Write(chunk)
		}
	})
	e := newEnv(t, envOpts{upstream: up})
	resp := e.do("GET", "/public/big", "")
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	close(clientGotStart)
	n, _ := io.Copy(io.Discard, resp.Body)
	if n+int64(len(buf)) != streamSize {
		t.Fatalf("read %d bytes, want %d", n+int64(len(buf)), streamSize)
	}
}
