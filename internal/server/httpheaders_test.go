package server_test

import (
	"net/http"
	"testing"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestCORSAllowedOrigins: with --cors-allowed-origins, a browser's preflight from
// an allowed origin is answered before authentication, and its authenticated
// requests carry the CORS headers; other origins get none.
func TestCORSAllowedOrigins(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) {
		c.CORSAllowedOrigins = []string{`//dashboard\.example(:|$)`}
	})
	do := func(client *http.Client, method, origin string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, in.URL+"/api/v1/namespaces", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tests := []struct {
		name      string
		client    *http.Client
		method    string
		origin    string
		wantCode  int
		wantAllow string
	}{
		{"preflight without credentials", in.AnonymousClient(t), http.MethodOptions, "https://dashboard.example", http.StatusNoContent, "https://dashboard.example"},
		{"authenticated request", in.HTTPClient(t), http.MethodGet, "https://dashboard.example:443", http.StatusOK, "https://dashboard.example:443"},
		{"other origin's preflight is a request like any", in.AnonymousClient(t), http.MethodOptions, "https://evil.example", http.StatusForbidden, ""},
		{"other origin", in.HTTPClient(t), http.MethodGet, "https://dashboard.example.evil.org", http.StatusOK, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := do(tc.client, tc.method, tc.origin)
			if resp.StatusCode != tc.wantCode {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantCode)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.wantAllow {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tc.wantAllow)
			}
		})
	}
}

// TestHSTSDirectives: with --strict-transport-security-directives every response,
// an unauthenticated one included, carries the header.
func TestHSTSDirectives(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) {
		c.HSTSDirectives = []string{"max-age=31536000", "includeSubDomains", "preload"}
	})
	for _, path := range []string{"/healthz", "/api/v1/namespaces"} {
		resp, err := in.AnonymousClient(t).Get(in.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains; preload" {
			t.Errorf("%s (%d): Strict-Transport-Security %q", path, resp.StatusCode, got)
		}
	}
}
