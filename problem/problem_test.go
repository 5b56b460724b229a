package problem_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/problem"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		err        error
		status     int
		wantDetail string
	}{
		{fmt.Errorf("ctx: %w", gatehouse.Errorf(gatehouse.CodeNotFound, "no such key")), 404, "no such key"},
		{gatehouse.Errorf(gatehouse.CodeInvalid, "label too long"), 400, "label too long"},
		{gatehouse.Errorf(gatehouse.CodeConflict, "taken"), 409, "taken"},
		// Internal errors never reach the client, whatever they say.
		{errors.New("pq: password=hunter2 failed"), 500, ""},
		{gatehouse.Errorf(gatehouse.CodeUnavailable, "db at 10.0.0.1 down"), 503, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		rec.Header().Set("Request-Id", "rid-1")
		req := httptest.NewRequest("GET", "/api/keys/x", nil)
		problem.Write(rec, req, nil, tt.err)
		if rec.Code != tt.status {
			t.Errorf("%v: status %d, want %d", tt.err, rec.Code, tt.status)
		}
		if ct := rec.Header().Get("Content-Type"); ct != problem.ContentType {
			t.Errorf("content type %q", ct)
		}
		var d problem.Details
		if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		if d.Detail != tt.wantDetail || d.Status != tt.status || d.Instance != "/api/keys/x" || d.RequestID != "rid-1" {
			t.Errorf("%v: got %+v", tt.err, d)
		}
		if d.Title != http.StatusText(tt.status) || d.Type == "" {
			t.Errorf("title/type %+v", d)
		}
	}
}

func TestLogPathHidesKeys(t *testing.T) {
	if got := problem.LogPath("/api/keys/abc"); got != "/api/keys/abc" {
		t.Errorf("plain path changed: %q", got)
	}
	if got := problem.LogPath("/api/keys/gatehouse_abcdefghijklmnop_secret"); strings.Contains(got, "secret") {
		t.Errorf("key in path logged: %q", got)
	}
}
