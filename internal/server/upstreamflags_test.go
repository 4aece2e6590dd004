package server_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestUpstreamServingFlags drives a server started with --cert-dir,
// --disable-http2-serving, --delete-collection-workers, --disabled-metrics and
// --debug-socket-path (with --profiling=false).
func TestUpstreamServingFlags(t *testing.T) {
	certDir := filepath.Join(t.TempDir(), "certs")
	socket := filepath.Join(t.TempDir(), "debug.sock")
	// A stale file where the socket goes, as a crashed server leaves one.
	if err := os.WriteFile(socket, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	noProfiling := false
	var dataDir string
	in := servertest.StartWith(t, func(c *server.Config) {
		c.CertDir = certDir
		c.DisableHTTP2Serving = true
		c.DeleteCollectionWorkers = 4
		c.DisabledMetrics = []string{"apiserver_request_total"}
		c.DebugSocketPath = socket
		c.Profiling = &noProfiling
		dataDir = c.DataDir
	})

	t.Run("generated certificates in --cert-dir", func(t *testing.T) {
		for _, name := range []string{"ca.crt", "apiserver.crt", "apiserver.key", "admin.crt", "front-proxy-ca.crt"} {
			if _, err := os.Stat(filepath.Join(certDir, name)); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := os.Stat(filepath.Join(dataDir, "pki")); !os.IsNotExist(err) {
			t.Errorf("the data dir's pki folder exists (%v); want the certificates in --cert-dir only", err)
		}
	})

	t.Run("HTTP/1.1 only", func(t *testing.T) {
		host := strings.TrimPrefix(in.URL, "https://")
		conn, err := tls.Dial("tcp", host, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if p := conn.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
			t.Errorf("ALPN chose %q, want http/1.1", p)
		}
		resp, err := in.HTTPClient(t).Get(in.URL + "/version")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.ProtoMajor != 1 || resp.StatusCode != http.StatusOK {
			t.Errorf("GET /version: %s %d, want HTTP/1.x 200", resp.Proto, resp.StatusCode)
		}
	})

	t.Run("disabled metrics", func(t *testing.T) {
		resp, err := in.HTTPClient(t).Get(in.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics: %d, %v", resp.StatusCode, err)
		}
		if strings.Contains(string(body), "\napiserver_request_total") {
			t.Error("apiserver_request_total is served")
		}
		if !strings.Contains(string(body), "\napiserver_request_duration_seconds_count") {
			t.Error("apiserver_request_duration_seconds is missing")
		}
	})

	t.Run("debug socket", func(t *testing.T) {
		unix := &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", socket)
			},
		}}
		tests := []struct {
			name, method, url, body string
			client                  *http.Client
			wantCode                int
			wantBody                string
		}{
			{name: "profiles without credentials", method: http.MethodGet, url: "http://kapi/debug/pprof/", client: unix,
				wantCode: http.StatusOK, wantBody: "goroutine"},
			{name: "a heap profile", method: http.MethodGet, url: "http://kapi/debug/pprof/heap?debug=1", client: unix,
				wantCode: http.StatusOK, wantBody: "heap profile"},
			{name: "verbosity", method: http.MethodPut, url: "http://kapi/debug/flags/v", body: "2", client: unix,
				wantCode: http.StatusOK, wantBody: "successfully set klog.logging.verbosity to 2"},
			{name: "debug endpoints only", method: http.MethodGet, url: "http://kapi/metrics", client: unix,
				wantCode: http.StatusNotFound},
			{name: "secure port without --profiling", method: http.MethodGet, url: in.URL + "/debug/pprof/", client: in.HTTPClient(t),
				wantCode: http.StatusNotFound},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req, err := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				resp, err := tc.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tc.wantCode || !strings.Contains(string(body), tc.wantBody) {
					t.Errorf("%s %s: %d %.200q, want %d containing %q", tc.method, tc.url, resp.StatusCode, body, tc.wantCode, tc.wantBody)
				}
			})
		}
	})

	t.Run("DELETE of a collection with workers", func(t *testing.T) {
		ctx := context.Background()
		cs := kubernetes.NewForConfigOrDie(in.Config)
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "workers"}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		const n = 25
		for i := range n {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%02d", i), Labels: map[string]string{"batch": "one"}}}
			if _, err := cs.CoreV1().ConfigMaps("workers").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		body, err := cs.CoreV1().RESTClient().Delete().Namespace("workers").Resource("configmaps").
			Param("labelSelector", "batch=one").SetHeader("Accept", "application/json").DoRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var deleted corev1.ConfigMapList
		if err := json.Unmarshal(body, &deleted); err != nil {
			t.Fatal(err)
		}
		if len(deleted.Items) != n {
			t.Errorf("the response lists %d deleted ConfigMaps, want %d", len(deleted.Items), n)
		}
		for i, item := range deleted.Items {
			if want := fmt.Sprintf("cm-%02d", i); item.Name != want {
				t.Errorf("item %d is %s, want %s (the list's order)", i, item.Name, want)
				break
			}
		}
		left, err := cs.CoreV1().ConfigMaps("workers").List(ctx, metav1.ListOptions{LabelSelector: "batch=one"})
		if err != nil {
			t.Fatal(err)
		}
		if len(left.Items) != 0 {
			t.Errorf("%d ConfigMaps left", len(left.Items))
		}
	})
}
