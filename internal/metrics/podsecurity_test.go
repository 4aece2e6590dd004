package metrics_test

import (
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/internal/metrics"
)

// TestPodSecuritySeries checks the pod_security_* series: served only once
// PodSecurity asks for them, registered once, with upstream's label names.
func TestPodSecuritySeries(t *testing.T) {
	pod := metrics.PodSecurityRequest{Operation: "create", Resource: "pod"}
	cases := []struct {
		name     string
		record   func(m *metrics.Metrics)
		want     []string
		wantNone []string
	}{
		{name: "not served until PodSecurity is built", record: func(*metrics.Metrics) {},
			wantNone: []string{"pod_security_"}},
		{name: "hot series served at zero",
			record: func(m *metrics.Metrics) { m.PodSecurity() },
			want: []string{
				`pod_security_evaluations_total{decision="allow",mode="enforce",policy_level="privileged",policy_version="latest",request_operation="create",resource="pod",subresource=""} 0`,
				`pod_security_exemptions_total{request_operation="update",resource="controller",subresource=""} 0`,
			},
			wantNone: []string{"pod_security_errors_total"}},
		{name: "built twice registers once",
			record: func(m *metrics.Metrics) {
				m.PodSecurity().RecordExemption(pod)
				m.PodSecurity().RecordExemption(pod)
			},
			want: []string{`pod_security_exemptions_total{request_operation="create",resource="pod",subresource=""} 2`}},
		{name: "evaluation labels",
			record: func(m *metrics.Metrics) {
				m.PodSecurity().RecordEvaluation(metrics.PodSecurityDeny, "restricted", "v1.30", metrics.PodSecurityWarn,
					metrics.PodSecurityRequest{Operation: "update", Resource: "pod", Subresource: "ephemeralcontainers"})
			},
			want: []string{`pod_security_evaluations_total{decision="deny",mode="warn",policy_level="restricted",policy_version="v1.30",request_operation="update",resource="pod",subresource="ephemeralcontainers"} 1`}},
		{name: "error labels",
			record: func(m *metrics.Metrics) {
				m.PodSecurity().RecordError(true, metrics.PodSecurityRequest{Operation: "create", Resource: "controller"})
				m.PodSecurity().RecordError(false, pod)
			},
			want: []string{
				`pod_security_errors_total{fatal="true",request_operation="create",resource="controller",subresource=""} 1`,
				`pod_security_errors_total{fatal="false",request_operation="create",resource="pod",subresource=""} 1`,
			}},
		{name: "nil metrics record nothing",
			record: func(*metrics.Metrics) {
				var m *metrics.Metrics
				m.PodSecurity().RecordEvaluation(metrics.PodSecurityAllow, "baseline", "latest", metrics.PodSecurityEnforce, pod)
				m.PodSecurity().RecordExemption(pod)
				m.PodSecurity().RecordError(true, pod)
			},
			wantNone: []string{"pod_security_"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New()
			tc.record(m)
			body := scrape(t, m)
			for _, w := range tc.want {
				if !strings.Contains(body, "\n"+w+"\n") {
					t.Errorf("missing %s", w)
				}
			}
			for _, w := range tc.wantNone {
				if strings.Contains(body, w) {
					t.Errorf("unexpected %s in the exposition", w)
				}
			}
		})
	}
}
