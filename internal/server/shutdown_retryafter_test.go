package server_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/server"
)

// TestShutdownSendRetryAfter checks --shutdown-send-retry-after: after the delay the
// listener stays open and new requests get upstream's 429 (health checks excepted)
// until the in-flight request finished; then the server stops.
func TestShutdownSendRetryAfter(t *testing.T) {
	const delay = time.Second
	r := runServer(t, func(c *server.Config) {
		c.ShutdownDelayDuration = delay
		c.ShutdownSendRetryAfter = true
		c.Controllers = []string{}
	})
	body, bodyWriter := io.Pipe()
	created := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", r.url+"/api/v1/namespaces/default/configmaps", body)
		req.Header.Set("Content-Type", "application/json")
		resp, err := r.client.Do(req)
		if err != nil {
			created <- 0
			return
		}
		resp.Body.Close()
		created <- resp.StatusCode
	}()
	_, _ = io.WriteString(bodyWriter, `{"apiVersion":"v1","kind":"ConfigMap",`)
	time.Sleep(200 * time.Millisecond) // let the create reach the handler
	r.stop()
	time.Sleep(delay + 500*time.Millisecond)

	tests := []struct {
		name       string
		path       string
		userAgent  string
		wantCode   int
		wantBody   string
		wantHeader map[string]string
		// wantClose: "Connection: close", which net/http's client reports as Close.
		wantClose bool
	}{
		{"API refused", "/api/v1/namespaces/default/configmaps", "", http.StatusTooManyRequests,
			"The apiserver is shutting down, please try again later.", map[string]string{"Retry-After": "5"}, true},
		{"discovery refused", "/apis", "kubectl/v1.37.0", http.StatusTooManyRequests,
			"The apiserver is shutting down", map[string]string{"Retry-After": "5"}, true},
		{"readyz answers, failing", "/readyz?verbose", "", http.StatusInternalServerError, "[-]shutdown failed", nil, false},
		{"livez answers", "/livez", "", http.StatusOK, "ok", nil, false},
		{"healthz answers", "/healthz", "", http.StatusOK, "ok", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", r.url+tc.path, nil)
			if tc.userAgent != "" {
				req.Header.Set("User-Agent", tc.userAgent)
			}
			// HTTP/1.1, so that the Connection header reaches the client (HTTP/2
			// turns it into a GOAWAY); anonymous, as the 429 comes before
			// authentication.
			tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatalf("GET %s: %v (the listener must stay open while draining)", tc.path, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode || !strings.Contains(string(b), tc.wantBody) {
				t.Errorf("GET %s = %d %q, want %d containing %q", tc.path, resp.StatusCode, b, tc.wantCode, tc.wantBody)
			}
			if resp.Close != tc.wantClose {
				t.Errorf("Connection: close = %v, want %v", resp.Close, tc.wantClose)
			}
			for k, v := range tc.wantHeader {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
	select {
	case <-r.done:
		t.Fatal("Run returned while a request was in flight")
	default:
	}
	_, _ = io.WriteString(bodyWriter, `"metadata":{"name":"in-flight"}}`)
	bodyWriter.Close()
	if code := <-created; code != http.StatusCreated {
		t.Errorf("the in-flight create answered %d, want 201", code)
	}
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("Run: %v", r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the in-flight request finished")
	}
}
