package gateway_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// TestAssertionKeyNotPrinted: logging or printing an AssertionKey, or a
// pointer to one, shows its kid but never its private key.
func TestAssertionKeyNotPrinted(t *testing.T) {
	secret := []byte("PRIVATE-KEY-BYTES-0123456789")
	k := gatehouse.AssertionKey{KID: "the-kid", Alg: "EdDSA", PrivateKey: secret,
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(3600, 0), Expires: time.Unix(7200, 0)}
	leaks := func(s string) bool {
		return strings.Contains(s, string(secret)) || strings.Contains(strings.ToLower(s), hex.EncodeToString(secret)) ||
			strings.Contains(s, fmt.Sprint(secret)) || strings.Contains(s, fmt.Sprintf("%#v", secret)) ||
			strings.Contains(s, base64.StdEncoding.EncodeToString(secret)) // as JSON encodes bytes
	}
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	log.Info("key", "key", k, "ptr", &k)
	jlog := slog.New(slog.NewJSONHandler(&logged, nil))
	jlog.Info("key", "key", k, "ptr", &k)
	outs := map[string]string{"slog": logged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		outs[verb] = fmt.Sprintf(verb, k)
		outs[verb+" of a pointer"] = fmt.Sprintf(verb, &k)
	}
	js, err := json.Marshal(&k)
	if err != nil {
		t.Fatal(err)
	}
	outs["json"] = string(js)
	for how, out := range outs {
		if leaks(out) {
			t.Errorf("%s prints the private key: %s", how, out)
		}
		if !strings.Contains(out, "the-kid") {
			t.Errorf("%s does not show the kid: %s", how, out)
		}
	}
}
