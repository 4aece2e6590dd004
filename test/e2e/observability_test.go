package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// TestObservabilityFlags: --v=3 --logging-format=json logs one JSON access-log line
// per request (no credentials), /metrics shows the client-go requests, and
// --profiling=false removes /debug/pprof.
func TestObservabilityFlags(t *testing.T) {
	s := startKapiWithArgs(t, t.TempDir(), "--v=3", "--logging-format=json", "--profiling=false")
	cfg := s.restConfig(t)
	cs := kubernetes.NewForConfigOrDie(cfg)
	if _, err := cs.CoreV1().ConfigMaps("default").List(context.Background(), metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		resp, err := hc.Get(s.host + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"metrics count the list", func(t *testing.T) {
			code, body := get("/metrics")
			want := `apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="LIST",version="v1"}`
			if code != http.StatusOK || !strings.Contains(body, want) {
				t.Fatalf("GET /metrics = %d, lacks %s", code, want)
			}
		}},
		{"no pprof without profiling", func(t *testing.T) {
			if code, _ := get("/debug/pprof/"); code != http.StatusNotFound {
				t.Fatalf("GET /debug/pprof/ = %d, want 404", code)
			}
		}},
		{"json access log", func(t *testing.T) {
			deadline := time.Now().Add(10 * time.Second)
			for {
				for _, line := range strings.Split(s.log.String(), "\n") {
					if !strings.Contains(line, `"msg":"HTTP"`) || !strings.Contains(line, "/api/v1/namespaces/default/configmaps") {
						continue
					}
					var entry map[string]any
					if err := json.Unmarshal([]byte(line), &entry); err != nil {
						t.Fatalf("access log line is not JSON: %q", line)
					}
					if entry["user"] != "kubernetes-admin" {
						continue // the server's own controllers write there too
					}
					if entry["verb"] != "GET" || entry["code"] != float64(200) || entry["auditID"] == "" {
						t.Fatalf("access log entry %v", entry)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("no access log line for the list:\n%s", s.logTail(20))
				}
				time.Sleep(100 * time.Millisecond)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.check)
	}
}
