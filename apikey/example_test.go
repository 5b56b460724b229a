package apikey_test

import (
	"bytes"
	"fmt"

	"github.com/gatehouse-dev/gatehouse/apikey"
)

func Example() {
	// In production the randomness is crypto/rand.Reader.
	k, err := apikey.New(bytes.NewReader(make([]byte, 42)))
	if err != nil {
		panic(err)
	}
	fmt.Println(k)                 // shown to the owner once
	fmt.Println(k.DisplayPrefix()) // safe to list and log
	p, err := apikey.Parse(k.String())
	fmt.Println(p.ID, err, p.Hash() == k.Hash())
	_, err = apikey.Parse(k.String()[:40])
	fmt.Println(err)
	// Output:
	// gatehouse_aaaaaaaaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaamg47r6
	// gatehouse_aaaaaaaaaaaaaaaa
	// aaaaaaaaaaaaaaaa <nil> true
	// unauthenticated: API key has the wrong length
}
