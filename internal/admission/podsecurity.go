package admission

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/metrics"
	"github.com/kapi-dev/kapi/internal/request"
)

func init() {
	Factories["PodSecurity"] = func(d Deps, raw []byte) (any, error) {
		cfg, err := parsePodSecurityConfig(raw)
		if err != nil {
			return nil, err
		}
		checks, err := newPodSecurityChecks()
		if err != nil {
			return nil, err
		}
		return &podSecurity{d: d, cfg: cfg, checks: checks, metrics: d.Metrics.PodSecurity()}, nil
	}
}

// podSecurity applies the Pod Security Standards a namespace's
// pod-security.kubernetes.io labels select: enforce refuses pods, audit annotates
// the audit event, warn answers with warnings. Pod controllers' templates are only
// audited and warned; namespace writes are refused when their labels are invalid.
type podSecurity struct {
	d      Deps
	cfg    *podSecurityConfig
	checks *podSecurityChecks
	// metrics counts evaluations, exemptions and errors where upstream does.
	metrics *metrics.PodSecurity
}

// Audit annotation keys, upstream's: pod-security.kubernetes.io/<key>.
var (
	pssEnforcePolicyAnnotation  = psapi.AuditAnnotationPrefix + psapi.EnforcedPolicyAnnotationKey
	pssAuditViolationAnnotation = psapi.AuditAnnotationPrefix + psapi.AuditViolationsAnnotationKey
	pssExemptAnnotation         = psapi.AuditAnnotationPrefix + psapi.ExemptionReasonAnnotationKey
	pssErrorAnnotation          = psapi.AuditAnnotationPrefix + "error"
)

// ignoredPodSubresources never change a pod's spec; any other pod subresource
// (ephemeralcontainers, resize, ...) is evaluated so an unknown one fails safe.
var ignoredPodSubresources = map[string]bool{
	"exec": true, "attach": true, "binding": true, "eviction": true,
	"log": true, "portforward": true, "proxy": true, "status": true,
}

func (p *podSecurity) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if a.Operation != "CREATE" && a.Operation != "UPDATE" {
		return nil
	}
	switch gr := a.Resource.GroupResource(); {
	case gr == schema.GroupResource{Resource: "namespaces"}:
		return p.validateNamespace(ctx, a)
	case gr == schema.GroupResource{Resource: "pods"}:
		return p.validatePod(ctx, a)
	case podControllerResources[gr]:
		return p.validatePodController(ctx, a)
	}
	return nil
}

// validatePod enforces, audits and warns the namespace's policy on a pod.
func (p *podSecurity) validatePod(ctx context.Context, a *endpoints.Attributes) error {
	if ignoredPodSubresources[a.Subresource] || p.exempt(ctx, a) {
		return nil
	}
	ns, err := p.namespace(ctx, a.Namespace)
	if err != nil {
		p.metrics.RecordError(true, pssRequest(a))
		lookup := apierrors.NewInternalError(fmt.Errorf("failed to lookup namespace %q", a.Namespace))
		request.AddAuditAnnotation(ctx, pssErrorAnnotation, fmt.Sprintf("%s: %v", lookup.ErrStatus.Message, err))
		return lookup
	}
	nsPolicy, nsErrs := namespacePolicy(ns.Labels, p.cfg.policy)
	if len(nsErrs) == 0 && nsPolicy.FullyPrivileged() {
		p.recordEvaluation(a, metrics.PodSecurityAllow, metrics.PodSecurityEnforce, nsPolicy.Enforce)
		request.AddAuditAnnotation(ctx, pssEnforcePolicyAnnotation,
			psapi.LevelVersion{Level: psapi.LevelPrivileged, Version: psapi.LatestVersion()}.String())
		return nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok || pod == nil {
		p.metrics.RecordError(true, pssRequest(a))
		return badRequestAnnotated(ctx, "failed to decode pod")
	}
	if a.Operation == "UPDATE" {
		old, ok := a.OldObject.(*corev1.Pod)
		if !ok || old == nil {
			p.metrics.RecordError(true, pssRequest(a))
			return badRequestAnnotated(ctx, "failed to decode old pod")
		}
		if !significantPodUpdate(pod, old) {
			return nil
		}
	}
	return p.evaluate(ctx, a, nsPolicy, nsErrs, &pod.ObjectMeta, &pod.Spec, true)
}

// validatePodController audits and warns the namespace's policy on a pod
// template; lookup failures never refuse the write, they are audited.
func (p *podSecurity) validatePodController(ctx context.Context, a *endpoints.Attributes) error {
	if a.Subresource != "" || p.exempt(ctx, a) {
		return nil
	}
	ns, err := p.namespace(ctx, a.Namespace)
	if err != nil {
		p.metrics.RecordError(true, pssRequest(a))
		request.AddAuditAnnotation(ctx, pssErrorAnnotation, fmt.Sprintf("failed to lookup namespace %q: %v", a.Namespace, err))
		return nil
	}
	nsPolicy, nsErrs := namespacePolicy(ns.Labels, p.cfg.policy)
	if len(nsErrs) == 0 && nsPolicy.Warn.Level == psapi.LevelPrivileged && nsPolicy.Audit.Level == psapi.LevelPrivileged {
		return nil
	}
	meta, spec, err := podTemplateOf(a.Object)
	if err != nil {
		p.metrics.RecordError(true, pssRequest(a))
		request.AddAuditAnnotation(ctx, pssErrorAnnotation, fmt.Sprintf("failed to extract pod template: %v", err))
		return nil
	}
	if meta == nil && spec == nil {
		return nil
	}
	return p.evaluate(ctx, a, nsPolicy, nsErrs, meta, spec, false)
}

// evaluate checks a pod (enforce true) or a pod template against the namespace's
// three modes, each level:version evaluated once.
func (p *podSecurity) evaluate(ctx context.Context, a *endpoints.Attributes, nsPolicy psapi.Policy, nsErrs field.ErrorList,
	meta *metav1.ObjectMeta, spec *corev1.PodSpec, enforce bool) error {
	if p.exemptRuntimeClass(spec.RuntimeClassName) {
		p.metrics.RecordExemption(pssRequest(a))
		request.AddAuditAnnotation(ctx, pssExemptAnnotation, "runtimeClass")
		return nil
	}
	if len(nsErrs) > 0 {
		// Not fatal: an invalid enforce level evaluates as restricted, invalid audit
		// and warn levels as privileged, invalid versions as latest.
		p.metrics.RecordError(false, pssRequest(a))
		request.AddAuditAnnotation(ctx, pssErrorAnnotation, fmt.Sprintf("Failed to parse policy: %v", nsErrs.ToAggregate()))
	}
	results := map[psapi.LevelVersion]policy.AggregateCheckResult{}
	check := func(lv psapi.LevelVersion) policy.AggregateCheckResult {
		r, ok := results[lv]
		if !ok {
			r = p.checks.evaluate(lv, meta, spec)
			results[lv] = r
		}
		return r
	}
	var refused error
	if enforce {
		request.AddAuditAnnotation(ctx, pssEnforcePolicyAnnotation, nsPolicy.Enforce.String())
		if r := check(nsPolicy.Enforce); !r.Allowed {
			refused = apierrors.NewForbidden(a.Resource.GroupResource(), a.Name,
				fmt.Errorf("violates PodSecurity %q: %s", nsPolicy.Enforce.String(), r.ForbiddenDetail()))
			p.recordEvaluation(a, metrics.PodSecurityDeny, metrics.PodSecurityEnforce, nsPolicy.Enforce)
		} else {
			p.recordEvaluation(a, metrics.PodSecurityAllow, metrics.PodSecurityEnforce, nsPolicy.Enforce)
		}
	}
	// Audit and warn count only their denials, as upstream.
	if r := check(nsPolicy.Audit); !r.Allowed {
		p.recordEvaluation(a, metrics.PodSecurityDeny, metrics.PodSecurityAudit, nsPolicy.Audit)
		request.AddAuditAnnotation(ctx, pssAuditViolationAnnotation, violationMessage(nsPolicy.Audit, r))
	}
	if refused != nil {
		// A refused request gets no warnings.
		return refused
	}
	if r := check(nsPolicy.Warn); !r.Allowed {
		p.recordEvaluation(a, metrics.PodSecurityDeny, metrics.PodSecurityWarn, nsPolicy.Warn)
		request.AddWarning(ctx, violationMessage(nsPolicy.Warn, r))
	}
	return nil
}

func violationMessage(lv psapi.LevelVersion, r policy.AggregateCheckResult) string {
	return fmt.Sprintf("would violate PodSecurity %q: %s", lv.String(), r.ForbiddenDetail())
}

// exempt reports (audits and counts) an exempt namespace or user.
func (p *podSecurity) exempt(ctx context.Context, a *endpoints.Attributes) bool {
	if p.exemptNamespace(a.Namespace) {
		p.metrics.RecordExemption(pssRequest(a))
		request.AddAuditAnnotation(ctx, pssExemptAnnotation, "namespace")
		return true
	}
	if u, ok := request.UserFrom(ctx); ok && u != nil && u.Name != "" && slices.Contains(p.cfg.Exemptions.Usernames, u.Name) {
		p.metrics.RecordExemption(pssRequest(a))
		request.AddAuditAnnotation(ctx, pssExemptAnnotation, "user")
		return true
	}
	return false
}

func (p *podSecurity) exemptNamespace(ns string) bool {
	return ns != "" && slices.Contains(p.cfg.Exemptions.Namespaces, ns)
}

func (p *podSecurity) exemptRuntimeClass(name *string) bool {
	return name != nil && *name != "" && slices.Contains(p.cfg.Exemptions.RuntimeClasses, *name)
}

// namespace reads a namespace through the watch cache, from storage when the cache
// has not seen it yet.
func (p *podSecurity) namespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	obj, err := getCached(ctx, p.d, namespacesGVR, "", name)
	if err != nil {
		return nil, err
	}
	ns, ok := obj.(*corev1.Namespace)
	if !ok || ns == nil {
		return nil, fmt.Errorf("unexpected namespace object %T", obj)
	}
	return ns, nil
}

// badRequestAnnotated is the 400 of an object PodSecurity cannot read, audited.
func badRequestAnnotated(ctx context.Context, msg string) error {
	request.AddAuditAnnotation(ctx, pssErrorAnnotation, msg)
	return apierrors.NewBadRequest(msg)
}
