package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// upstreamHooks are the post-start hooks kube-apiserver v1.37 lists with API
// Priority and Fairness on, in its order.
var upstreamHooks = []string{
	"start-apiserver-admission-initializer", "generic-apiserver-start-informers",
	"priority-and-fairness-config-consumer", "priority-and-fairness-filter", "storage-object-count-tracker-hook",
	"start-apiextensions-informers", "start-apiextensions-controllers", "crd-informer-synced",
	"start-system-namespaces-controller", "start-cluster-authentication-info-controller",
	"start-kube-apiserver-identity-lease-controller", "start-kube-apiserver-identity-lease-garbage-collector",
	"storage-readiness", "start-legacy-token-tracking-controller", "start-service-ip-repair-controllers",
	"rbac/bootstrap-roles", "scheduling/bootstrap-system-priority-classes", "priority-and-fairness-config-producer",
	"bootstrap-controller", "start-kubernetes-service-cidr-controller", "aggregator-reload-proxy-client-cert",
	"start-kube-aggregator-informers", "apiservice-status-local-available-controller",
	"apiservice-status-remote-available-controller", "apiservice-registration-controller",
	"apiservice-discovery-controller", "kube-apiserver-autoregistration",
}

// verboseBody is a passing verbose health body: the checks before the hooks, the
// hooks (autoregister-completion after kube-apiserver-autoregistration, then the
// two OpenAPI controllers' hooks), the checks after them.
func verboseBody(endpoint string, before []string, hooks []string, after []string) string {
	var b strings.Builder
	line := func(name string) { b.WriteString("[+]" + name + " ok\n") }
	for _, name := range before {
		line(name)
	}
	for _, hook := range hooks {
		line("poststarthook/" + hook)
	}
	line("autoregister-completion")
	line("poststarthook/apiservice-openapi-controller")
	line("poststarthook/apiservice-openapiv3-controller")
	for _, name := range after {
		line(name)
	}
	return b.String() + endpoint + " check passed\n"
}

// TestHealthChecksByName: once started, the health endpoints list upstream's
// checks and post-start hooks by name, in upstream's order, all passing (upstream's
// conformance suite looks for them by name), and each can be asked for alone.
func TestHealthChecksByName(t *testing.T) {
	in := servertest.Start(t)
	client := in.HTTPClient(t)
	for _, tc := range []struct {
		path string
		want string
	}{
		{"/healthz?verbose", verboseBody("healthz", []string{"ping", "log", "etcd"}, upstreamHooks, nil)},
		{"/livez?verbose", verboseBody("livez", []string{"ping", "log", "etcd"}, upstreamHooks, nil)},
		{"/readyz?verbose", verboseBody("readyz", []string{"ping", "log", "etcd", "etcd-readiness", "informer-sync"}, upstreamHooks, []string{"shutdown"})},
	} {
		t.Run(tc.path, func(t *testing.T) {
			if code, _, body := fetch(t, client, in.URL+tc.path); code != http.StatusOK || body != tc.want {
				t.Errorf("GET %s: %d\n%s\nwant 200\n%s", tc.path, code, body, tc.want)
			}
		})
	}
	for _, path := range []string{"/readyz/etcd-readiness", "/readyz/informer-sync", "/livez/log", "/healthz/poststarthook/rbac/bootstrap-roles",
		"/readyz/poststarthook/storage-readiness", "/livez/autoregister-completion"} {
		if code, _, body := fetch(t, client, in.URL+path); code != http.StatusOK || body != "ok" {
			t.Errorf("GET %s: %d %q, want 200 ok", path, code, body)
		}
	}
	if code, _, _ := fetch(t, client, in.URL+"/livez/informer-sync"); code != http.StatusNotFound {
		t.Errorf("GET /livez/informer-sync: %d, want 404 (a /readyz check only)", code)
	}
}

// TestHealthChecksWithoutFlowControl: with API Priority and Fairness off, upstream
// has the max-in-flight filter's hook instead of APF's.
func TestHealthChecksWithoutFlowControl(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) { c.PriorityAndFairnessDisabled = true })
	client := in.HTTPClient(t)
	for _, tc := range []struct {
		hook string
		code int
	}{
		{"max-in-flight-filter", http.StatusOK},
		{"priority-and-fairness-filter", http.StatusNotFound},
		{"priority-and-fairness-config-consumer", http.StatusNotFound},
		{"priority-and-fairness-config-producer", http.StatusNotFound},
		{"storage-object-count-tracker-hook", http.StatusNotFound},
	} {
		if code, _, _ := fetch(t, client, in.URL+"/readyz/poststarthook/"+tc.hook); code != tc.code {
			t.Errorf("GET /readyz/poststarthook/%s: %d, want %d", tc.hook, code, tc.code)
		}
	}
}
