package server_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// running is a kapi started by a test that controls when it stops.
type running struct {
	url    string
	client *http.Client
	stop   context.CancelFunc
	// done is closed when Run returned, with its result in err.
	done chan struct{}
	err  error
}

// runServer starts kapi over a fresh etcd and waits until it is ready; the test
// stops it with stop and reads Run's result from done.
func runServer(t *testing.T, configure func(*server.Config)) *running {
	t.Helper()
	etcd := etcdtest.Start(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devNull.Close() })
	cfg := server.Config{DataDir: t.TempDir(), SecurePort: port, EtcdServers: etcd.Endpoints(), Out: devNull, AnonymousAuth: true}
	if configure != nil {
		configure(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r := &running{url: fmt.Sprintf("https://127.0.0.1:%d", port), stop: cancel, done: make(chan struct{})}
	go func() {
		r.err = s.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(time.Minute):
			t.Error("server did not stop")
		}
	})
	restCfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if r.client, err = rest.HTTPClientFor(restCfg); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if code, _ := r.get(t, "/readyz"); code == http.StatusOK {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatal("server not ready within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get returns the status code and body of GET path, 0 when the request failed.
func (r *running) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := r.client.Get(r.url + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestShutdownDelay checks --shutdown-delay-duration: after the signal /readyz fails
// at once while /healthz and the API keep answering for the delay; then the listener
// closes, and a request that was in flight still completes.
func TestShutdownDelay(t *testing.T) {
	const delay = 3 * time.Second
	r := runServer(t, func(c *server.Config) {
		c.ShutdownDelayDuration = delay
		c.Controllers = []string{}
	})
	// A create whose body arrives slowly stays in flight across the end of the delay.
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

	signalled := time.Now()
	r.stop()
	tests := []struct {
		name     string
		path     string
		wantCode int
		wantBody string
	}{
		{"readyz fails", "/readyz?verbose", http.StatusInternalServerError, "[-]shutdown failed"},
		{"healthz passes", "/healthz", http.StatusOK, "ok"},
		{"livez passes", "/livez", http.StatusOK, "ok"},
		{"the API serves", "/api/v1/namespaces/default/configmaps", http.StatusOK, `"kind":"ConfigMapList"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, got := r.get(t, tc.path)
			if code != tc.wantCode || !strings.Contains(got, tc.wantBody) {
				t.Errorf("GET %s = %d %q, want %d containing %q", tc.path, code, got, tc.wantCode, tc.wantBody)
			}
		})
	}
	if time.Since(signalled) > delay {
		t.Fatal("the checks took longer than the delay; they prove nothing")
	}
	// Once the delay is over the listener closes.
	deadline := time.Now().Add(delay + 10*time.Second)
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(r.url, "https://"), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections long after the delay")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if waited := time.Since(signalled); waited < delay {
		t.Errorf("stopped accepting after %v, before the %v delay", waited, delay)
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

// TestShutdownWithControllersDenied stops servers whose authorization refuses the
// built-in controllers: their informers retry against 403s, which must not hold the
// shutdown up.
func TestShutdownWithControllersDenied(t *testing.T) {
	denyAll := "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n- type: AlwaysDeny\n  name: deny\n"
	tests := []struct {
		name      string
		configure func(t *testing.T, c *server.Config)
	}{
		{"authorization-mode AlwaysDeny", func(t *testing.T, c *server.Config) { c.AuthorizationModes = []string{"AlwaysDeny"} }},
		{"authorization-config deny only", func(t *testing.T, c *server.Config) {
			c.AuthorizationConfigFile = writeFile(t, "authz.yaml", denyAll)
		}},
		{"admission AlwaysDeny", func(t *testing.T, c *server.Config) { c.EnableAdmissionPlugins = []string{"AlwaysDeny"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runServer(t, func(c *server.Config) {
				tc.configure(t, c)
				c.Controllers = nil // every built-in controller runs
			})
			time.Sleep(2 * time.Second) // let the controllers start and fail
			start := time.Now()
			r.stop()
			select {
			case <-r.done:
				if r.err != nil {
					t.Errorf("Run: %v", r.err)
				}
				t.Logf("stopped in %v", time.Since(start))
			case <-time.After(5 * time.Second):
				t.Fatal("shutdown took longer than 5s")
			}
		})
	}
}

// TestShutdownWatchTermination: at shutdown the open watches end together, or,
// with --shutdown-watch-termination-grace-period, one after another at no more
// than 200 a second; either way every one ends and Run returns.
func TestShutdownWatchTermination(t *testing.T) {
	const watches = 60
	tests := []struct {
		name  string
		grace time.Duration
		// minSpread and maxSpread bound the time between the first watch's end and
		// the last's.
		minSpread, maxSpread time.Duration
	}{
		{name: "no grace", grace: 0, maxSpread: 200 * time.Millisecond},
		// 60 watches over 2s would be 30 a second; the floor of 200 a second
		// spreads them over 59 × 5ms.
		{name: "2s grace", grace: 2 * time.Second, minSpread: 250 * time.Millisecond, maxSpread: 2 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runServer(t, func(c *server.Config) {
				c.Controllers = []string{}
				c.ShutdownWatchTerminationGracePeriod = tc.grace
			})
			ended := make(chan time.Time, watches)
			for range watches {
				resp, err := r.client.Get(r.url + "/api/v1/namespaces/default/configmaps?watch=1")
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("watch: %d", resp.StatusCode)
				}
				go func() {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ended <- time.Now()
				}()
			}
			r.stop()
			var first, last time.Time
			for i := range watches {
				select {
				case at := <-ended:
					if i == 0 {
						first = at
					}
					last = at
				case <-time.After(tc.grace + 30*time.Second):
					t.Fatalf("%d of %d watches ended", i, watches)
				}
			}
			spread := last.Sub(first)
			t.Logf("the watches ended over %v", spread)
			if spread < tc.minSpread || spread > tc.maxSpread {
				t.Errorf("the watches ended over %v, want %v to %v", spread, tc.minSpread, tc.maxSpread)
			}
			select {
			case <-r.done:
				if r.err != nil {
					t.Errorf("Run: %v", r.err)
				}
			case <-time.After(tc.grace + 10*time.Second):
				t.Fatal("Run did not return after the watches ended")
			}
		})
	}
}
