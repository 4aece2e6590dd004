package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestRequestTimeoutParameter sends ?timeout= through the whole chain: a bad value is
// upstream's 400 before authentication looks at the request, a good one is served,
// and long-running requests ignore it.
func TestRequestTimeoutParameter(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) { c.Controllers = []string{} })
	tests := []struct {
		name      string
		anonymous bool
		path      string
		wantCode  int
		wantMsg   string
	}{
		{name: "valid", path: "/api/v1/namespaces/default/configmaps?timeout=30s", wantCode: 200},
		{name: "longer than --request-timeout", path: "/api/v1/namespaces/default/configmaps?timeout=10h", wantCode: 200},
		{name: "invalid", path: "/api/v1/namespaces/default/configmaps?timeout=never", wantCode: 400,
			wantMsg: `invalid timeout specified in the request URL - time: invalid duration "never"`},
		{name: "invalid before authentication", anonymous: true, path: "/apis/apps/v1/deployments?timeout=5", wantCode: 400,
			wantMsg: `invalid timeout specified in the request URL - time: missing unit in duration "5"`},
		{name: "watch ignores it", path: "/api/v1/namespaces/default/configmaps?watch=true&timeout=never&timeoutSeconds=1", wantCode: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := in.HTTPClient(t)
			if tc.anonymous {
				client = in.AnonymousClient(t)
			}
			resp, err := client.Get(in.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("code %d, want %d: %s", resp.StatusCode, tc.wantCode, body)
			}
			if tc.wantMsg == "" {
				return
			}
			var st metav1.Status
			if err := json.Unmarshal(body, &st); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			if st.Kind != "Status" || st.Reason != metav1.StatusReasonBadRequest || st.Code != 400 || st.Message != tc.wantMsg {
				t.Fatalf("status = %+v", st)
			}
		})
	}
}

// TestWatchMinRequestTimeout checks that --min-request-timeout bounds a watch whose
// client set no timeoutSeconds to [min, 2*min).
func TestWatchMinRequestTimeout(t *testing.T) {
	minTimeout := 1
	in := servertest.StartWith(t, func(c *server.Config) {
		c.Controllers = []string{}
		c.MinRequestTimeout = &minTimeout
	})
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	w, err := cs.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for range w.ResultChan() {
	}
	if ctx.Err() != nil {
		t.Fatal("the watch did not end on its own")
	}
	if took := time.Since(start); took < time.Second || took > 3*time.Second {
		t.Errorf("the watch ended after %v, want within [1s, 2s)", took)
	}
}

// TestServingOptionsValidation rejects negative values with upstream's messages.
func TestServingOptionsValidation(t *testing.T) {
	negative := -1
	tests := []struct {
		name    string
		opts    server.ServingOptions
		wantErr string
	}{
		{"request timeout", server.ServingOptions{RequestTimeout: -time.Second}, "--request-timeout can not be negative value"},
		{"min request timeout", server.ServingOptions{MinRequestTimeout: &negative}, "--min-request-timeout can not be negative value"},
		{"shutdown delay", server.ServingOptions{ShutdownDelayDuration: -time.Second}, "--shutdown-delay-duration can not be negative value"},
		{"livez grace period", server.ServingOptions{LivezGracePeriod: -time.Second}, "--livez-grace-period can not be a negative value"},
		{"watch termination grace", server.ServingOptions{ShutdownWatchTerminationGracePeriod: -time.Second}, "shutdown-watch-termination-grace-period, if provided, can not be a negative value"},
		{"goaway chance above 0.02", server.ServingOptions{GoawayChance: 0.03}, "--goaway-chance can not be less than 0 or greater than 0.02"},
		{"negative goaway chance", server.ServingOptions{GoawayChance: -0.01}, "--goaway-chance can not be less than 0 or greater than 0.02"},
		{"bad HSTS directive", server.ServingOptions{HSTSDirectives: []string{"max-age=1", "nosniff"}}, "--strict-transport-security-directives invalid, allowed values: max-age=expireTime, includeSubDomains, preload. see https://tools.ietf.org/html/rfc6797#section-6.1 for more information"},
		{"unanchored CORS origin", server.ServingOptions{CORSAllowedOrigins: []string{"example.com"}}, "--cors-allowed-origins has an invalid regular expression: regular expression does not pin to start/end of host in the origin header, help: anchor each expression to the start of the host with '^' or '//' and to its end with '$' or ':', e.g. '//example\\.com(:|$)'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := server.Config{DataDir: t.TempDir(), ServingOptions: tc.opts}
			if err := cfg.Complete(); err == nil || err.Error() != tc.wantErr {
				t.Fatalf("Complete() = %v, want %q", err, tc.wantErr)
			}
		})
	}
	cfg := server.Config{DataDir: t.TempDir()}
	if err := cfg.Complete(); err != nil || cfg.RequestTimeout != time.Minute {
		t.Fatalf("defaults: %v, request timeout %v", err, cfg.RequestTimeout)
	}
}

// TestAdvertiseAddressDefault: without --advertise-address kapi advertises what
// kube-apiserver would: the bind address when it is a specific one, the host's
// default-route address when bound to all or to a loopback address.
func TestAdvertiseAddressDefault(t *testing.T) {
	hostIP, err := utilnet.ResolveBindAddress(net.IPv4zero)
	if err != nil {
		t.Skipf("this host has no default-route address: %v", err)
	}
	tests := []struct {
		name            string
		bind, advertise net.IP
		want            net.IP
	}{
		{"loopback bind (the default)", nil, nil, hostIP},
		{"all addresses", net.IPv4zero, nil, hostIP},
		{"a specific address", net.IPv4(10, 1, 2, 3), nil, net.IPv4(10, 1, 2, 3)},
		{"given", net.IPv4zero, net.IPv4(192, 0, 2, 9), net.IPv4(192, 0, 2, 9)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := server.Config{DataDir: t.TempDir(), BindAddress: tc.bind, AdvertiseAddress: tc.advertise}
			if err := cfg.Complete(); err != nil {
				t.Fatal(err)
			}
			if !cfg.AdvertiseAddress.Equal(tc.want) {
				t.Errorf("advertise address %s, want %s", cfg.AdvertiseAddress, tc.want)
			}
		})
	}
}
