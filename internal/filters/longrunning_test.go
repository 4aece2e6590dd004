package filters

import (
	"net/http/httptest"
	"testing"

	"github.com/kapi-dev/kapi/internal/request"
)

// TestIsLongRunning classifies requests as kube-apiserver's long-running check does.
func TestIsLongRunning(t *testing.T) {
	tests := []struct {
		name   string
		method string
		url    string
		want   bool
	}{
		{"get", "GET", "/api/v1/namespaces/ns/pods/p", false},
		{"list", "GET", "/api/v1/pods", false},
		{"list watch=false", "GET", "/api/v1/pods?watch=false", false},
		{"list watch=true", "GET", "/api/v1/pods?watch=true", true},
		{"list watch=1", "GET", "/apis/apps/v1/deployments?watch=1", true},
		{"watch path", "GET", "/api/v1/watch/namespaces/ns/configmaps", true},
		{"named get ignores watch param", "GET", "/api/v1/namespaces/ns/pods/p?watch=true", false},
		{"create", "POST", "/api/v1/namespaces/ns/configmaps", false},
		{"delete", "DELETE", "/api/v1/namespaces/ns/configmaps/c", false},
		{"exec", "POST", "/api/v1/namespaces/ns/pods/p/exec", true},
		{"attach", "GET", "/api/v1/namespaces/ns/pods/p/attach", true},
		{"log", "GET", "/api/v1/namespaces/ns/pods/p/log", true},
		{"portforward", "GET", "/api/v1/namespaces/ns/pods/p/portforward", true},
		{"pod proxy", "GET", "/api/v1/namespaces/ns/pods/p/proxy/x", true},
		{"service proxy", "GET", "/api/v1/namespaces/ns/services/s/proxy", true},
		{"node proxy", "GET", "/api/v1/nodes/n/proxy/metrics", true},
		{"status subresource", "PUT", "/api/v1/namespaces/ns/pods/p/status", false},
		{"scale subresource", "GET", "/apis/apps/v1/namespaces/ns/deployments/d/scale", false},
		{"pprof", "GET", "/debug/pprof/profile", true},
		{"healthz", "GET", "/healthz", false},
		{"discovery", "GET", "/apis", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := request.ParseInfo(httptest.NewRequest(tc.method, tc.url, nil))
			if got := IsLongRunning(info); got != tc.want {
				t.Errorf("IsLongRunning(%s %s) = %v, want %v (info %+v)", tc.method, tc.url, got, tc.want, info)
			}
		})
	}
	if IsLongRunning(nil) {
		t.Error("a request without info is not long-running")
	}
}
