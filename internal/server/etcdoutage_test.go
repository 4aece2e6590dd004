package server_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/server"
)

// restartableEtcd is an embedded etcd that a test stops and starts again on the
// same address and data directory, as an etcd outage looks to kapi.
type restartableEtcd struct {
	t    *testing.T
	cfg  *embed.Config
	etcd *embed.Etcd
}

func newRestartableEtcd(t *testing.T) *restartableEtcd {
	t.Helper()
	free := func() url.URL {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return url.URL{Scheme: "http", Host: l.Addr().String()}
	}
	cfg := embed.NewConfig()
	cfg.Name = "outage"
	cfg.Dir = t.TempDir()
	client, peer := free(), free()
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = true
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	e := &restartableEtcd{t: t, cfg: cfg}
	e.start()
	t.Cleanup(e.stop)
	return e
}

func (e *restartableEtcd) endpoint() string { return e.cfg.ListenClientUrls[0].String() }

func (e *restartableEtcd) start() {
	e.t.Helper()
	var err error
	deadline := time.Now().Add(30 * time.Second)
	for {
		// The old listener's port may take a moment to be free again.
		if e.etcd, err = embed.StartEtcd(e.cfg); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatalf("starting etcd: %v", err)
	}
	select {
	case <-e.etcd.Server.ReadyNotify():
	case err := <-e.etcd.Err():
		e.t.Fatalf("etcd: %v", err)
	case <-time.After(30 * time.Second):
		e.t.Fatal("etcd not ready within 30s")
	}
}

func (e *restartableEtcd) stop() {
	if e.etcd != nil {
		e.etcd.Close()
		e.etcd = nil
	}
}

// do sends a request with an optional JSON body and returns the code, body and time
// taken; code 0 means the request itself failed.
func (r *running) do(t *testing.T, method, path, body string) (int, string, time.Duration) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, r.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if method == "PATCH" {
		req.Header.Set("Content-Type", "application/merge-patch+json")
	}
	start := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, err.Error(), time.Since(start)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), time.Since(start)
}

// waitFor polls path until it answers wantCode with wantBody in it.
func (r *running) waitFor(t *testing.T, path string, wantCode int, wantBody string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, body := r.get(t, path)
		if code == wantCode && strings.Contains(body, wantBody) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s = %d %q after %v, want %d containing %q", path, code, body, within, wantCode, wantBody)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestEtcdOutage stops kapi's etcd: requests must fail within the request timeout
// with upstream's 504 Timeout Status, the etcd health checks must fail, and once
// etcd is back on the same address everything must work again without a restart,
// watches included.
func TestEtcdOutage(t *testing.T) {
	const requestTimeout = 4 * time.Second
	etcd := newRestartableEtcd(t)
	r := runServer(t, func(c *server.Config) {
		c.EtcdServers = []string{etcd.endpoint()}
		c.RequestTimeout = requestTimeout
		// /readyz runs two etcd checks one after the other, as upstream's; with
		// etcd down each waits its timeout, and both must end within the request's.
		c.EtcdHealthcheckTimeout, c.EtcdReadycheckTimeout = time.Second, time.Second
		c.Controllers = []string{}
	})
	const cms = "/api/v1/namespaces/default/configmaps"
	if code, body, _ := r.do(t, "POST", cms, `{"metadata":{"name":"before"}}`); code != http.StatusCreated {
		t.Fatalf("create before the outage = %d %s", code, body)
	}

	etcd.stop()
	t.Run("requests fail within the request timeout", func(t *testing.T) {
		tests := []struct {
			name, method, path, body string
		}{
			{"get", "GET", cms + "/before", ""},
			{"list", "GET", cms, ""},
			{"create", "POST", cms, `{"metadata":{"name":"during"}}`},
			{"update", "PUT", cms + "/before", `{"metadata":{"name":"before"},"data":{"a":"b"}}`},
			{"patch", "PATCH", cms + "/before", `{"data":{"a":"c"}}`},
			{"delete", "DELETE", cms + "/before", ""},
			{"get with a shorter ?timeout", "GET", cms + "/before?timeout=2s", ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				code, body, took := r.do(t, tc.method, tc.path, tc.body)
				if took > requestTimeout+3*time.Second {
					t.Errorf("answered after %v, beyond the %v request timeout", took, requestTimeout)
				}
				// Upstream's timeout filter writes the Status without kind and apiVersion.
				var st metav1.Status
				if err := json.Unmarshal([]byte(body), &st); err != nil || st.Status != metav1.StatusFailure {
					t.Fatalf("%d %q is not a Status", code, body)
				}
				// What kube-apiserver answers: its etcd client waits for a connection
				// until the request's deadline, and the request times out.
				const wantMsg = "Timeout: request did not complete within the allotted timeout"
				if code != http.StatusGatewayTimeout || st.Reason != metav1.StatusReasonTimeout || st.Message != wantMsg {
					t.Errorf("= %d %s %q, want 504 Timeout %q", code, st.Reason, st.Message, wantMsg)
				}
				t.Logf("%d %s %q in %v", code, st.Reason, st.Message, took)
			})
		}
	})
	t.Run("health checks fail", func(t *testing.T) {
		for _, p := range []string{"/readyz?verbose", "/healthz?verbose", "/livez?verbose"} {
			r.waitFor(t, p, http.StatusInternalServerError, "[-]etcd failed", 10*time.Second)
		}
	})

	etcd.start()
	t.Run("recovers without a restart", func(t *testing.T) {
		r.waitFor(t, "/readyz", http.StatusOK, "ok", 30*time.Second)
		code, body, _ := r.do(t, "GET", cms+"?resourceVersion=0", "")
		if code != http.StatusOK {
			t.Fatalf("list after recovery = %d %s", code, body)
		}
		var list metav1.List
		_ = json.Unmarshal([]byte(body), &list)
		resp, err := r.client.Get(r.url + cms + "?watch=1&resourceVersion=" + list.ResourceVersion)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if code, body, _ := r.do(t, "POST", cms, `{"metadata":{"name":"after"}}`); code != http.StatusCreated {
			t.Fatalf("create after recovery = %d %s", code, body)
		}
		events := make(chan string, 16)
		go func() {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				events <- sc.Text()
			}
			close(events)
		}()
		timeout := time.After(15 * time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatal("the watch ended before it saw the write")
				}
				if strings.Contains(ev, `"type":"ADDED"`) && strings.Contains(ev, `"name":"after"`) {
					return
				}
			case <-timeout:
				t.Fatal("a watch opened after recovery did not see the new write within 15s")
			}
		}
	})
}
