package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	key := os.Getenv("GATEHOUSE_API_KEY")
	if key == "" {
		log.Fatal("set GATEHOUSE_API_KEY to your API key")
	}
	req, err := http.NewRequest(http.MethodGet, "https://localhost:8443/api/me", nil)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Authorization", "apikey "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		log.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		log.Fatalf("%s: %s", resp.Status, body)
	}
	fmt.Printf("%s\n", body)
}
