package admission

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/metrics"
)

// TestPodSecurityVersionLabel checks upstream's bucketing of policy_version, which
// keeps it bounded whatever version a namespace pins.
func TestPodSecurityVersionLabel(t *testing.T) {
	cases := []struct {
		name string
		lv   psapi.LevelVersion
		want string
	}{
		{"latest", psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.LatestVersion()}, "latest"},
		{"pinned", psapi.LevelVersion{Level: psapi.LevelBaseline, Version: psapi.MajorMinorVersion(1, 25)}, "v1.25"},
		{"oldest", psapi.LevelVersion{Level: psapi.LevelBaseline, Version: psapi.MajorMinorVersion(1, 0)}, "v1.0"},
		{"the server's own", psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.MajorMinorVersion(1, 37)}, "v1.37"},
		{"newer than the server", psapi.LevelVersion{Level: psapi.LevelRestricted, Version: psapi.MajorMinorVersion(1, 38)}, "future"},
		{"privileged pinned is latest", psapi.LevelVersion{Level: psapi.LevelPrivileged, Version: psapi.MajorMinorVersion(1, 25)}, "latest"},
		{"privileged future is latest", psapi.LevelVersion{Level: psapi.LevelPrivileged, Version: psapi.MajorMinorVersion(1, 99)}, "latest"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pssVersionLabel(tc.lv); got != tc.want {
				t.Errorf("pssVersionLabel(%s) = %q, want %q", tc.lv, got, tc.want)
			}
		})
	}
}

// TestPodSecurityRequestLabels checks the request labels: every pod controller is
// "controller", so the resource label has three values.
func TestPodSecurityRequestLabels(t *testing.T) {
	cases := []struct {
		name string
		a    endpoints.Attributes
		want metrics.PodSecurityRequest
	}{
		{"pod", endpoints.Attributes{Operation: "CREATE", Resource: schema.GroupVersionResource{Version: "v1", Resource: "pods"}},
			metrics.PodSecurityRequest{Operation: "create", Resource: "pod"}},
		{"pod subresource", endpoints.Attributes{Operation: "UPDATE", Resource: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Subresource: "ephemeralcontainers"},
			metrics.PodSecurityRequest{Operation: "update", Resource: "pod", Subresource: "ephemeralcontainers"}},
		{"namespace", endpoints.Attributes{Operation: "UPDATE", Resource: schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}},
			metrics.PodSecurityRequest{Operation: "update", Resource: "namespace"}},
		{"deployment", endpoints.Attributes{Operation: "CREATE", Resource: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}},
			metrics.PodSecurityRequest{Operation: "create", Resource: "controller"}},
		{"core controller", endpoints.Attributes{Operation: "CREATE", Resource: schema.GroupVersionResource{Version: "v1", Resource: "replicationcontrollers"}},
			metrics.PodSecurityRequest{Operation: "create", Resource: "controller"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pssRequest(&tc.a); got != tc.want {
				t.Errorf("pssRequest = %+v, want %+v", got, tc.want)
			}
		})
	}
}
