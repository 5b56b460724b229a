package console

import "strings"

// EnvVar is the environment variable every sample reads the key from: a
// key belongs in the environment or a secret store, never in source.
const EnvVar = "GATEHOUSE_API_KEY"

// SamplePath is the API path the samples call: who the key belongs to,
// which any valid key may read.
const SamplePath = "/api/me"

// Sample is a short program that calls the API with a key read from EnvVar.
type Sample struct {
	ID    string // stable name, also the file name in docs/examples
	Title string
	Code  string
}

// Samples returns the sample programs for the server at origin (scheme and
// host, such as https://localhost:8443): curl, Python requests with the
// apikey scheme and with HTTP Basic, Go net/http, and JavaScript fetch.
// docs/examples holds them for https://localhost:8443, and a test runs them.
func Samples(origin string) []Sample { return samplesFor(origin + SamplePath) }

// samplesFor returns the sample programs calling url.
func samplesFor(url string) []Sample {
	fill := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "{URL}", url), "{ENV}", EnvVar) }
	return []Sample{
		{ID: "curl.sh", Title: "curl", Code: fill(curlSample)},
		{ID: "requests_apikey.py", Title: "Python requests, apikey scheme", Code: fill(pythonHeaderSample)},
		{ID: "requests_basic.py", Title: "Python requests, HTTP Basic", Code: fill(pythonBasicSample)},
		{ID: "main.go", Title: "Go net/http", Code: fill(goSample)},
		{ID: "fetch.mjs", Title: "JavaScript fetch (Node.js 18 or later)", Code: fill(fetchSample)},
	}
}

const curlSample = `curl --fail-with-body -H "Authorization: apikey ${ENV}" {URL}
`

const pythonHeaderSample = `import os

import requests

key = os.environ["{ENV}"]
r = requests.get("{URL}", headers={"Authorization": f"apikey {key}"}, timeout=10)
r.raise_for_status()
print(r.json())
`

const pythonBasicSample = `import os

import requests
from requests.auth import HTTPBasicAuth

key = os.environ["{ENV}"]
r = requests.get("{URL}", auth=HTTPBasicAuth("apikey", key), timeout=10)
r.raise_for_status()
print(r.json())
`

const goSample = `package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	key := os.Getenv("{ENV}")
	if key == "" {
		log.Fatal("set {ENV} to your API key")
	}
	req, err := http.NewRequest(http.MethodGet, "{URL}", nil)
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
`

const fetchSample = `const res = await fetch("{URL}", {
  headers: { Authorization: ` + "`apikey ${process.env.{ENV}}`" + ` },
});
if (!res.ok) {
  throw new Error(` + "`${res.status}: ${await res.text()}`" + `);
}
console.log(await res.json());
`
