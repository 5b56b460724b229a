package certs_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gatehouse-dev/gatehouse/certs"
)

// A development server trusts its own CA; clients are told where it is.
func ExampleDevCA() {
	dir, err := os.MkdirTemp("", "gatehouse-dev")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	dev, err := certs.DevCA(filepath.Join(dir, "certs"), certs.DevConfig{})
	if err != nil {
		log.Fatal(err)
	}
	cfg := dev.TLSConfig() // for http.Server.TLSConfig or tls.NewListener
	fmt.Println(cfg.NextProtos, filepath.Base(dev.CAPath()))
	// Output: [h2 http/1.1] ca.pem
}
