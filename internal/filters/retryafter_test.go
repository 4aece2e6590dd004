package filters

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/request"
)

func TestWithRetryAfter(t *testing.T) {
	tests := []struct {
		name      string
		shutdown  bool
		path      string
		userAgent string
		wantCode  int
	}{
		{"serving before shutdown", false, "/api/v1/pods", "", http.StatusOK},
		{"refused after shutdown", true, "/api/v1/pods", "", http.StatusTooManyRequests},
		{"refused discovery", true, "/apis", "kubectl/v1.37", http.StatusTooManyRequests},
		{"readyz exempt", true, "/readyz", "", http.StatusOK},
		{"readyz check exempt", true, "/readyz/etcd", "", http.StatusOK},
		{"livez exempt", true, "/livez", "", http.StatusOK},
		{"healthz exempt", true, "/healthz", "", http.StatusOK},
		{"metrics exempt", true, "/metrics", "", http.StatusOK},
		{"loopback client exempt", true, "/api/v1/pods", "kube-apiserver/v1.37.0 (linux/amd64)", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := make(chan struct{})
			if tc.shutdown {
				close(ch)
			}
			h := WithRetryAfter(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}), ch)
			req := httptest.NewRequest("GET", tc.path, nil)
			req.Header.Set("User-Agent", tc.userAgent)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Fatalf("code = %d, want %d", rec.Code, tc.wantCode)
			}
			if tc.wantCode != http.StatusTooManyRequests {
				return
			}
			if got := rec.Header().Get("Retry-After"); got != "5" {
				t.Errorf("Retry-After = %q, want 5", got)
			}
			if got := rec.Header().Get("Connection"); got != "close" {
				t.Errorf("Connection = %q, want close", got)
			}
			if got, want := rec.Body.String(), shuttingDownMessage+"\n"; got != want {
				t.Errorf("body = %q, want %q", got, want)
			}
		})
	}
}

func TestWithInFlight(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		verb      string
		wantCount bool
	}{
		{"a get is counted", "/api/v1/pods", "list", true},
		{"a watch is not", "/api/v1/pods", "watch", false},
		{"a health check is not", "/readyz", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f InFlight
			release := make(chan struct{})
			entered := make(chan struct{})
			h := WithInFlight(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
				close(entered)
				<-release
			}), &f)
			req := httptest.NewRequest("GET", tc.path, nil)
			req = req.WithContext(request.WithInfo(req.Context(), &request.Info{Verb: tc.verb, IsResourceRequest: tc.verb != "", Path: tc.path}))
			done := make(chan struct{})
			go func() {
				h.ServeHTTP(httptest.NewRecorder(), req)
				close(done)
			}()
			<-entered
			select {
			case <-f.Drained():
				if tc.wantCount {
					t.Error("drained while a counted request runs")
				}
			case <-time.After(100 * time.Millisecond):
				if !tc.wantCount {
					t.Error("not drained although nothing counted runs")
				}
			}
			drained := f.Drained()
			close(release)
			<-done
			select {
			case <-drained:
			case <-time.After(5 * time.Second):
				t.Error("not drained after the request finished")
			}
		})
	}
}
