package main

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testFlags() (*flag.FlagSet, *string, *string, *listFlag) {
	fs := newFlagSet("t", io.Discard)
	cfg := fs.String("config", "", "")
	addr := fs.String("addr", ":8443", "")
	var doms listFlag
	fs.Var(&doms, "acme-domain", "")
	return fs, cfg, addr, &doms
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gatehouse.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSettingsPrecedence(t *testing.T) {
	file := writeFile(t, "addr: ':1'\nacme-domain: [a.example, b.example]\n")
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantAddr string
		wantDoms string
	}{
		{"defaults", nil, nil, ":8443", ""},
		{"file", []string{"--config", file}, nil, ":1", "a.example,b.example"},
		{"env beats file", []string{"--config", file}, map[string]string{"GATEHOUSE_ADDR": ":2"}, ":2", "a.example,b.example"},
		{"flag beats env", []string{"--config", file, "--addr", ":3"}, map[string]string{"GATEHOUSE_ADDR": ":2"}, ":3", "a.example,b.example"},
		{"env list", nil, map[string]string{"GATEHOUSE_ACME_DOMAIN": "x.example, y.example"}, ":8443", "x.example,y.example"},
		{"config from env", nil, map[string]string{"GATEHOUSE_CONFIG": file}, ":1", "a.example,b.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _, addr, doms := testFlags()
			getenv := func(k string) string { return tt.env[k] }
			if err := parseSettings(fs, tt.args, getenv); err != nil {
				t.Fatal(err)
			}
			if *addr != tt.wantAddr || doms.String() != tt.wantDoms {
				t.Errorf("addr %q domains %q, want %q %q", *addr, doms.String(), tt.wantAddr, tt.wantDoms)
			}
		})
	}
}

func TestSettingsErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown key in file", []string{"--config", writeFile(t, "adr: ':1'\n")}, nil, `unknown setting "adr"`},
		{"map value", []string{"--config", writeFile(t, "addr: {a: 1}\n")}, nil, `setting "addr"`},
		{"bad yaml", []string{"--config", writeFile(t, "addr: [\n")}, nil, "config file"},
		{"missing file", []string{"--config", "/nonexistent/g.yaml"}, nil, "invalid setting config"},
		{"unknown flag", []string{"--nope"}, nil, "nope"},
		{"stray argument", []string{"extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, _, _, _ := testFlags()
			err := parseSettings(fs, tt.args, func(k string) string { return tt.env[k] })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestServeConfigValidate(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" means valid
	}{
		{nil, ""},
		{[]string{"--addr", "8443"}, "invalid setting addr"},
		{[]string{"--addr", "127.0.0.1:99999"}, "invalid setting addr"},
		{[]string{"--addr", "127.0.0.1:-1"}, "invalid setting addr"},
		{[]string{"--addr", "127.0.0.1:0"}, ""},
		{[]string{"--addr", "localhost:https"}, ""},
		{[]string{"--http-addr", ":65536"}, "invalid setting http-addr"},
		{[]string{"--http-addr", "off"}, ""},
		{[]string{"--tls-cert", "c.pem"}, "invalid setting tls-key"},
		{[]string{"--acme-domain", "bad_name!"}, "invalid setting acme-domain"},
		{[]string{"--acme-directory", "http://insecure/dir"}, "invalid setting acme-directory"},
		{[]string{"--insecure-behind-proxy"}, "invalid setting insecure-behind-proxy: name the load balancer"},
		{[]string{"--insecure-behind-proxy", "--trusted-proxy", "10.0.0.0/8"}, ""},
		{[]string{"--trusted-proxy", "not-an-ip"}, "invalid setting trusted-proxy"},
		{[]string{"--database", "mysql://x"}, "invalid setting database"},
		{[]string{"--log-level", "loud"}, "invalid setting log-level"},
		{[]string{"--scope", "Bad Scope"}, "invalid setting scope"},
		{[]string{"--session-idle", "13h"}, "invalid setting session-idle"},
		{[]string{"--session-lifetime", "0s"}, "invalid setting session-lifetime"},
	}
	for _, tt := range tests {
		e := env{getenv: func(string) string { return "" }, stdout: io.Discard, stderr: io.Discard}
		_, err := loadServeConfig("serve", e, tt.args)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: unexpected error %v", tt.args, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestRefusedValuesAreNotEchoed: a refused setting may hold a secret, so
// neither the error nor anything printed repeats it.
func TestRefusedValuesAreNotEchoed(t *testing.T) {
	const secret = "s3cr3t-value"
	for _, tt := range []struct {
		args []string
		env  map[string]string
	}{
		{[]string{"--shutdown-timeout", secret}, nil},
		{nil, map[string]string{"GATEHOUSE_SHUTDOWN_TIMEOUT": secret}},
		{[]string{"--config", writeFile(t, "shutdown-timeout: "+secret+"\n")}, nil},
	} {
		var out strings.Builder
		e := env{getenv: func(k string) string { return tt.env[k] }, stdout: &out, stderr: &out}
		_, err := loadServeConfig("serve", e, tt.args)
		if err == nil || !strings.Contains(err.Error(), "shutdown-timeout") {
			t.Fatalf("%v: err %v, want it to name the setting", tt.args, err)
		}
		if strings.Contains(err.Error()+out.String(), secret) {
			t.Errorf("%v: the refused value is echoed: %v %s", tt.args, err, out.String())
		}
	}
}
