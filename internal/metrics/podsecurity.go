package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// PodSecurity labels, upstream's values.
const (
	PodSecurityAllow   = "allow"
	PodSecurityDeny    = "deny"
	PodSecurityEnforce = "enforce"
	PodSecurityAudit   = "audit"
	PodSecurityWarn    = "warn"
)

// PodSecurityRequest is the request part of the pod_security_* labels. Every value
// must come from a bounded set: operation "create" or "update", resource "pod",
// "namespace" or "controller", subresource one the server serves.
type PodSecurityRequest struct {
	Operation   string
	Resource    string
	Subresource string
}

// PodSecurity holds upstream's pod_security_* series, recorded by the PodSecurity
// admission plugin. A nil *PodSecurity records nothing.
type PodSecurity struct {
	evaluations *prometheus.CounterVec
	exemptions  *prometheus.CounterVec
	errors      *prometheus.CounterVec
}

func newPodSecurity() *PodSecurity {
	p := &PodSecurity{
		// The help texts carry component-base's "[ALPHA] " prefix, as kube-apiserver
		// serves them.
		evaluations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pod_security_evaluations_total",
			Help: "[ALPHA] Number of policy evaluations that occurred, not counting ignored or exempt requests.",
		}, []string{"decision", "policy_level", "policy_version", "mode", "request_operation", "resource", "subresource"}),
		exemptions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pod_security_exemptions_total",
			Help: "[ALPHA] Number of exempt requests, not counting ignored or out of scope requests.",
		}, []string{"request_operation", "resource", "subresource"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pod_security_errors_total",
			Help: "[ALPHA] Number of errors preventing normal evaluation. Non-fatal errors may result in the latest restricted profile being used for evaluation.",
		}, []string{"fatal", "request_operation", "resource", "subresource"}),
	}
	// Upstream creates its hot series up front, so they are served at 0 before the
	// first request.
	for _, op := range []string{"create", "update"} {
		p.evaluations.WithLabelValues(PodSecurityAllow, "privileged", "latest", PodSecurityEnforce, op, "pod", "")
		p.exemptions.WithLabelValues(op, "pod", "")
		p.exemptions.WithLabelValues(op, "controller", "")
	}
	return p
}

// PodSecurity returns the pod_security_* series, registering them on the first call:
// like upstream, they are served only once the PodSecurity plugin is built.
func (m *Metrics) PodSecurity() *PodSecurity {
	if m == nil {
		return nil
	}
	m.podSecurityOnce.Do(func() {
		m.podSecurity = newPodSecurity()
		m.registry.MustRegister(m.podSecurity.evaluations, m.podSecurity.exemptions, m.podSecurity.errors)
	})
	return m.podSecurity
}

// RecordEvaluation counts one mode's evaluation of a policy level and version (the
// version label bucketed by the caller: "latest", "v1.x" or "future").
func (p *PodSecurity) RecordEvaluation(decision, level, version, mode string, r PodSecurityRequest) {
	if p == nil {
		return
	}
	p.evaluations.WithLabelValues(decision, level, version, mode, r.Operation, r.Resource, r.Subresource).Inc()
}

// RecordExemption counts a request exempt by namespace, user or runtime class.
func (p *PodSecurity) RecordExemption(r PodSecurityRequest) {
	if p == nil {
		return
	}
	p.exemptions.WithLabelValues(r.Operation, r.Resource, r.Subresource).Inc()
}

// RecordError counts an error that prevented normal evaluation: fatal ones (the
// namespace or object could not be read) skip it, non-fatal ones (invalid namespace
// labels) evaluate with the fallback policy.
func (p *PodSecurity) RecordError(fatal bool, r PodSecurityRequest) {
	if p == nil {
		return
	}
	p.errors.WithLabelValues(strconv.FormatBool(fatal), r.Operation, r.Resource, r.Subresource).Inc()
}
