package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/net/websocket"

	"github.com/gatehouse-dev/gatehouse"
)

// TestWebSocket: an authenticated WebSocket is upgraded through the
// gateway and echoes both ways; the upstream's handshake carries the
// gateway's identity headers, not the client's; an anonymous one is
// refused before the upstream.
func TestWebSocket(t *testing.T) {
	echo := websocket.Handler(func(c *websocket.Conn) { io.Copy(c, c) })
	e := newEnv(t, envOpts{upstream: echo})
	key := e.key(gatehouse.RoleReader, gatehouse.ScopeRead)
	dial := func(key string) (*websocket.Conn, error) {
		host := strings.TrimPrefix(e.srv.URL, "https://")
		cfg, err := websocket.NewConfig("wss://"+host+"/api/ws", "https://"+host)
		if err != nil {
			t.Fatal(err)
		}
		cfg.TlsConfig = e.client.Transport.(*http.Transport).TLSClientConfig.Clone()
		cfg.TlsConfig.NextProtos = []string{"http/1.1"}
		cfg.Header = http.Header{"X-Gatehouse-User-Id": {"999"}, "Connection": {"X-Gatehouse-User-Id"}}
		if key != "" {
			cfg.Header.Set("Authorization", "apikey "+key)
		}
		return websocket.DialConfig(cfg)
	}
	c, err := dial(key)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	for _, msg := range []string{"hello", strings.Repeat("z", 100000)} {
		if err := websocket.Message.Send(c, msg); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg)) // the echo may split a message into frames
		if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
			t.Fatalf("echo: %v", err)
		}
	}
	hs := e.up.take()
	if len(hs) != 1 || hs[0].Header.Get("Upgrade") != "websocket" {
		t.Fatalf("handshakes %+v", hs)
	}
	if v := hs[0].Header.Values("X-Gatehouse-User-Id"); len(v) != 1 || v[0] != "1" {
		t.Errorf("upstream saw user id %q", v)
	}
	if hs[0].Header.Get("Authorization") != "" {
		t.Error("the key reached the upstream")
	}
	if _, err := dial(""); err == nil {
		t.Error("an anonymous WebSocket was upgraded")
	}
	if n := len(e.up.take()); n != 0 {
		t.Errorf("an anonymous handshake reached the upstream")
	}
}
