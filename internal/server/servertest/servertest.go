// Package servertest starts a complete kapi in the test process, over a real embedded
// etcd and real HTTPS on loopback, for tests and benchmarks of the whole stack.
package servertest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kapi-dev/kapi/internal/controlplane"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// Instance is a running kapi.
type Instance struct {
	// URL is https://127.0.0.1:<port>.
	URL string
	// Kubeconfig is the admin kubeconfig path.
	Kubeconfig string
	// Config is the admin client configuration (system:masters).
	Config *rest.Config
	// Etcd is a client of the server's etcd, for tests that look at raw storage.
	Etcd *clientv3.Client
}

// Start runs kapi until the test ends.
func Start(t testing.TB) *Instance {
	t.Helper()
	return StartWith(t, nil)
}

// StartWith runs kapi with a configuration that configure may change (flags a test
// needs) until the test ends.
func StartWith(t testing.TB, configure func(*server.Config)) *Instance {
	t.Helper()
	client := etcdtest.Start(t)
	port := freePort(t)
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devNull.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	cfg := server.Config{
		DataDir:       t.TempDir(),
		SecurePort:    port,
		EtcdServers:   client.Endpoints(),
		Out:           devNull,
		AnonymousAuth: true,
	}
	if configure != nil {
		configure(&cfg)
	}
	s, err := server.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("server did not stop within 30s; goroutines:\n%s", goroutines())
		}
	})
	restCfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	restCfg.QPS, restCfg.Burst = -1, 0
	in := &Instance{URL: restCfg.Host, Kubeconfig: s.Kubeconfig, Config: restCfg, Etcd: client}
	in.waitReady(t, done)
	if serviceAccountsControlled(cfg.Controllers) && controllersMayWrite(cfg) {
		in.waitDefaultServiceAccount(t)
	}
	return in
}

// HTTPClient returns a client that authenticates as the admin.
func (in *Instance) HTTPClient(t testing.TB) *http.Client {
	t.Helper()
	c, err := rest.HTTPClientFor(in.Config)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// AnonymousClient returns a client that trusts the server but presents no credentials.
func (in *Instance) AnonymousClient(t testing.TB) *http.Client {
	t.Helper()
	tlsCfg, err := rest.TLSConfigFor(&rest.Config{TLSClientConfig: rest.TLSClientConfig{CAData: in.Config.CAData}})
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}, Timeout: 30 * time.Second}
}

// waitReady polls /readyz as the admin, whom every authorization mode lets in.
func (in *Instance) waitReady(t testing.TB, done <-chan error) {
	t.Helper()
	c := in.HTTPClient(t)
	deadline := time.Now().Add(60 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("server exited: %v", err)
		default:
		}
		resp, err := c.Get(in.URL + "/readyz?verbose")
		lastErr = err
		if err == nil {
			if resp.StatusCode != http.StatusOK {
				b, _ := io.ReadAll(resp.Body)
				lastErr = fmt.Errorf("readyz %d: %s", resp.StatusCode, b)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("server not ready within 60s: %v", lastErr)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serviceAccountsControlled reports whether the built-in serviceaccount controller
// runs with these --controllers values.
func serviceAccountsControlled(sel []string) bool {
	if sel == nil {
		sel = []string{"*"} // unset means every default controller, as in the server
	}
	parsed, err := controlplane.ParseSelection(sel)
	return err == nil && parsed.Enabled(controlplane.ServiceAccount)
}

// controllersMayWrite reports whether the configuration lets the built-in controllers
// write: a deny-everything authorizer or admission plugin, or a custom authorization
// chain, may not.
func controllersMayWrite(cfg server.Config) bool {
	if cfg.AuthorizationConfigFile != "" || slices.Contains(cfg.AuthorizationModes, "AlwaysDeny") {
		return false
	}
	return !slices.Contains(cfg.EnableAdmissionPlugins, "AlwaysDeny")
}

// waitDefaultServiceAccount waits until default/default exists, so that tests can
// create pods at once (admission refuses pods without their service account).
func (in *Instance) waitDefaultServiceAccount(t testing.TB) {
	t.Helper()
	c := in.HTTPClient(t)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := c.Get(in.URL + "/api/v1/namespaces/default/serviceaccounts/default")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the default service account did not appear within 30s")
}

// goroutines is every goroutine's stack, for a server that does not stop.
func goroutines() string {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	return b.String()
}
