package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogFormat: --log-format text and json are obeyed wherever the log
// goes; auto writes JSON to anything that is not a terminal (a pipe, a
// file, a buffer). logging_linux_test.go covers a real terminal.
func TestLogFormat(t *testing.T) {
	buffer := func(t *testing.T) (io.Writer, func() string) {
		var b bytes.Buffer
		return &b, b.String
	}
	file := func(t *testing.T) (io.Writer, func() string) {
		f, err := os.Create(filepath.Join(t.TempDir(), "log"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f, func() string { b, _ := os.ReadFile(f.Name()); return string(b) }
	}
	pipe := func(t *testing.T) (io.Writer, func() string) {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pr.Close(); pw.Close() })
		return pw, func() string { pw.Close(); b, _ := io.ReadAll(pr); return string(b) }
	}
	tests := []struct {
		format string
		dest   func(t *testing.T) (io.Writer, func() string)
		json   bool
	}{
		{"text", buffer, false},
		{"json", buffer, true},
		{"auto", buffer, true},
		{"auto", file, true},
		{"auto", pipe, true},
		{"text", file, false},
	}
	for _, tt := range tests {
		w, read := tt.dest(t)
		checkFormat(t, tt.format, logLine(t, tt.format, w, read), tt.json)
	}
}

// logLine logs one line with a logger of format on w and returns what
// read says was written.
func logLine(t *testing.T, format string, w io.Writer, read func() string) string {
	t.Helper()
	log, err := newLogger(w, format, "info")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello", "k", "v")
	return read()
}

// checkFormat fails unless line is one JSON object (wantJSON) or one
// key=value text line, each holding the message and the attribute.
func checkFormat(t *testing.T, format, line string, wantJSON bool) {
	t.Helper()
	line = strings.TrimSpace(line)
	var v map[string]any
	isJSON := json.Unmarshal([]byte(line), &v) == nil
	switch {
	case isJSON != wantJSON:
		t.Errorf("format %s: JSON=%v, want %v: %q", format, isJSON, wantJSON, line)
	case isJSON && (v["msg"] != "hello" || v["k"] != "v"):
		t.Errorf("format %s: %q", format, line)
	case !isJSON && !(strings.Contains(line, "level=INFO msg=hello k=v")):
		t.Errorf("format %s: %q, want a text line", format, line)
	}
}
