package main

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestProviderSetting parses --provider values: secrets only from a file
// or the environment, never from the flag value itself.
func TestProviderSetting(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GH_SECRET": "gh-s3cret"}
	e := env_(env)
	ok := "name=corp,issuer=https://id.example.com,client-id=gh,client-secret-file=" + secret +
		",scope=groups,allow=example.com,role-claim=groups,role=blog-editors:editor"
	c, err := loadServeConfig("serve", e, []string{"--addr", ":8443", "--provider", ok,
		"--provider", "name=github,kind=github,client-id=x,client-secret-env=GH_SECRET"})
	if err != nil {
		t.Fatal(err)
	}
	pcs, err := c.providerConfigs(e.getenv)
	if err != nil {
		t.Fatal(err)
	}
	if len(pcs) != 2 || pcs[0].ClientSecret != "s3cret" || pcs[1].ClientSecret != "gh-s3cret" ||
		pcs[0].Roles["blog-editors"] != "editor" || pcs[0].AllowEmails[0] != "example.com" {
		t.Fatalf("providers: %+v", pcs)
	}
	for name, tc := range map[string]struct{ args []string }{
		"secret in the flag":   {[]string{"--provider", "name=a,issuer=https://x,client-id=a,client-secret=oops"}},
		"no secret source":     {[]string{"--provider", "name=a,issuer=https://x,client-id=a"}},
		"unknown key":          {[]string{"--provider", "name=a,color=red,client-secret-env=X"}},
		"no name":              {[]string{"--provider", "issuer=https://x,client-secret-env=X"}},
		"duplicate":            {[]string{"--provider", "name=a,client-secret-env=X", "--provider", "name=a,client-secret-env=X"}},
		"dev twice":            {[]string{"--dev", "--provider", "name=dev,client-secret-env=X"}},
		"port 0 without url":   {[]string{"--dev", "--addr", "127.0.0.1:0"}},
		"public url with path": {[]string{"--dev", "--public-url", "https://example.com/app"}},
		"plain http public":    {[]string{"--dev", "--public-url", "http://example.com"}},
	} {
		if _, err := loadServeConfig("serve", e, tc.args); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func env_(vars map[string]string) env {
	return env{getenv: func(k string) string { return vars[k] }, stdout: io.Discard, stderr: io.Discard}
}
