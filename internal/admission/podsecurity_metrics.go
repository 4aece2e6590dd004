package admission

import (
	"strings"

	psapi "k8s.io/pod-security-admission/api"

	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/metrics"
)

// pssServerVersion is the Kubernetes version kapi serves (server.Version, v1.37):
// upstream labels policy versions pinned above the server's own as "future", which
// also bounds the policy_version label.
var pssServerVersion = psapi.MajorMinorVersion(1, 37)

// pssVersionLabel is upstream's policy_version label: "latest" for latest and for
// privileged (which is the same at every version), "future" past the server's
// version, else the pinned "v1.x".
func pssVersionLabel(lv psapi.LevelVersion) string {
	switch {
	case lv.Version.Latest() || lv.Level == psapi.LevelPrivileged:
		return "latest"
	case pssServerVersion.Older(lv.Version):
		return "future"
	}
	return lv.Version.String()
}

// pssRequest is the request part of the pod_security_* labels: the resource is
// "pod", "namespace" or, for every pod controller, "controller".
func pssRequest(a *endpoints.Attributes) metrics.PodSecurityRequest {
	r := metrics.PodSecurityRequest{Operation: strings.ToLower(a.Operation), Resource: "controller", Subresource: a.Subresource}
	if a.Resource.Group == "" {
		switch a.Resource.Resource {
		case "pods":
			r.Resource = "pod"
		case "namespaces":
			r.Resource = "namespace"
		}
	}
	return r
}

// recordEvaluation counts one mode's decision on lv for a.
func (p *podSecurity) recordEvaluation(a *endpoints.Attributes, decision, mode string, lv psapi.LevelVersion) {
	p.metrics.RecordEvaluation(decision, string(lv.Level), pssVersionLabel(lv), mode, pssRequest(a))
}
