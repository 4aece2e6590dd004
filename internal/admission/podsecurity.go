package admission

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

func init() {
	Factories["PodSecurity"] = func(d Deps, raw []byte) (any, error) {
		cfg, err := parsePodSecurityConfig(raw)
		if err != nil {
			return nil, err
		}
		return &podSecurity{d: d, cfg: cfg}, nil
	}
}

// podSecurityConfig is PodSecurityConfiguration
// (pod-security.admission.config.k8s.io/v1): cluster defaults and exemptions.
type podSecurityConfig struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Defaults   struct {
		Enforce        string `json:"enforce"`
		EnforceVersion string `json:"enforce-version"`
		Audit          string `json:"audit"`
		AuditVersion   string `json:"audit-version"`
		Warn           string `json:"warn"`
		WarnVersion    string `json:"warn-version"`
	} `json:"defaults"`
	Exemptions struct {
		Usernames      []string `json:"usernames"`
		RuntimeClasses []string `json:"runtimeClasses"`
		Namespaces     []string `json:"namespaces"`
	} `json:"exemptions"`
}

var pssVersion = regexp.MustCompile(`^v1\.(0|[1-9][0-9]*)$`)

func validLevel(l string) bool { return l == "privileged" || l == "baseline" || l == "restricted" }

func validVersion(v string) bool { return v == "latest" || pssVersion.MatchString(v) }

func parsePodSecurityConfig(raw []byte) (*podSecurityConfig, error) {
	cfg := &podSecurityConfig{}
	if len(raw) > 0 {
		if err := yaml.UnmarshalStrict(raw, cfg); err != nil {
			return nil, err
		}
	}
	d := &cfg.Defaults
	for _, f := range []*string{&d.Enforce, &d.Audit, &d.Warn} {
		if *f == "" {
			*f = "privileged"
		}
		if !validLevel(*f) {
			return nil, fmt.Errorf("invalid pod security level %q, must be one of privileged, baseline, restricted", *f)
		}
	}
	for _, f := range []*string{&d.EnforceVersion, &d.AuditVersion, &d.WarnVersion} {
		if *f == "" {
			*f = "latest"
		}
		if !validVersion(*f) {
			return nil, fmt.Errorf("invalid pod security version %q", *f)
		}
	}
	return cfg, nil
}

// podSecurity applies the Pod Security Standards named by a namespace's
// pod-security.kubernetes.io labels: enforce refuses pods, warn returns warnings,
// audit annotates the audit event. Workload templates are only warned and audited.
type podSecurity struct {
	d   Deps
	cfg *podSecurityConfig
}

// pssPolicy is one mode's level and version.
type pssPolicy struct{ level, version string }

func (p pssPolicy) String() string { return p.level + ":" + p.version }

// policies reads the namespace's three modes; an invalid label enforces
// restricted:latest as upstream does (fail closed).
func (p *podSecurity) policies(labels map[string]string) (enforce, audit, warn pssPolicy) {
	d := p.cfg.Defaults
	read := func(mode, defLevel, defVersion string) pssPolicy {
		pol := pssPolicy{defLevel, defVersion}
		if l, ok := labels["pod-security.kubernetes.io/"+mode]; ok {
			pol.level = l
			if !validLevel(l) {
				return pssPolicy{"restricted", "latest"}
			}
		}
		if v, ok := labels["pod-security.kubernetes.io/"+mode+"-version"]; ok {
			pol.version = v
			if !validVersion(v) {
				pol.version = "latest"
			}
		}
		return pol
	}
	return read("enforce", d.Enforce, d.EnforceVersion), read("audit", d.Audit, d.AuditVersion), read("warn", d.Warn, d.WarnVersion)
}

func (p *podSecurity) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if a.Resource.Group == "" && a.Resource.Resource == "namespaces" && a.Subresource == "" {
		return p.namespaceChange(ctx, a)
	}
	if a.Namespace == "" || a.Object == nil || (a.Operation != "CREATE" && a.Operation != "UPDATE") {
		return nil
	}
	meta, spec, isPod := podSpecOf(a)
	if spec == nil {
		return nil
	}
	if isPod && a.Operation == "UPDATE" && !significantPodUpdate(a) {
		return nil
	}
	if slices.Contains(p.cfg.Exemptions.Namespaces, a.Namespace) {
		request.AddAuditAnnotation(ctx, "pod-security.kubernetes.io/exempt", "namespace")
		return nil
	}
	if u, ok := request.UserFrom(ctx); ok && u != nil && slices.Contains(p.cfg.Exemptions.Usernames, u.Name) {
		request.AddAuditAnnotation(ctx, "pod-security.kubernetes.io/exempt", "user")
		return nil
	}
	if spec.RuntimeClassName != nil && slices.Contains(p.cfg.Exemptions.RuntimeClasses, *spec.RuntimeClassName) {
		request.AddAuditAnnotation(ctx, "pod-security.kubernetes.io/exempt", "runtimeClass")
		return nil
	}
	obj, err := getCached(ctx, p.d, namespacesGVR, "", a.Namespace)
	if apierrors.IsNotFound(err) {
		obj, err = p.d.Readers(namespacesGVR).Get(ctx, "", a.Namespace, &metav1.GetOptions{})
	}
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("failed to lookup namespace %q: %v", a.Namespace, err))
	}
	ns, _ := obj.(*corev1.Namespace)
	if ns == nil {
		return nil
	}
	enforce, audit, warn := p.policies(ns.Labels)
	if isPod {
		request.AddAuditAnnotation(ctx, "pod-security.kubernetes.io/enforce-policy", enforce.String())
		if v := evaluatePSS(enforce.level, meta, spec); len(v) > 0 {
			return forbidden(a, fmt.Errorf("violates PodSecurity %q: %s", enforce.String(), strings.Join(v, ", ")))
		}
	} else if v := evaluatePSS(enforce.level, meta, spec); len(v) > 0 && enforce != warn {
		// Workloads are not refused; their pods will be. Warn about the enforce level.
		request.AddWarning(ctx, fmt.Sprintf("would violate PodSecurity %q: %s", enforce.String(), strings.Join(v, ", ")))
	}
	if v := evaluatePSS(audit.level, meta, spec); len(v) > 0 {
		request.AddAuditAnnotation(ctx, "pod-security.kubernetes.io/audit-violations",
			fmt.Sprintf("would violate PodSecurity %q: %s", audit.String(), strings.Join(v, ", ")))
	}
	if v := evaluatePSS(warn.level, meta, spec); len(v) > 0 {
		request.AddWarning(ctx, fmt.Sprintf("would violate PodSecurity %q: %s", warn.String(), strings.Join(v, ", ")))
	}
	return nil
}

// significantPodUpdate: only changes of the spec (other than images) are
// re-evaluated, as upstream.
func significantPodUpdate(a *endpoints.Attributes) bool {
	if a.Subresource != "" && a.Subresource != "ephemeralcontainers" {
		return false
	}
	pod, ok := a.Object.(*corev1.Pod)
	old, ok2 := a.OldObject.(*corev1.Pod)
	if !ok || !ok2 {
		return true
	}
	if pod.DeletionTimestamp != nil {
		return false
	}
	ns, os := pod.Spec.DeepCopy(), old.Spec.DeepCopy()
	for _, s := range []*corev1.PodSpec{ns, os} {
		for i := range s.Containers {
			s.Containers[i].Image = ""
		}
		for i := range s.InitContainers {
			s.InitContainers[i].Image = ""
		}
		for i := range s.EphemeralContainers {
			s.EphemeralContainers[i].Image = ""
		}
	}
	return !equality.Semantic.DeepEqual(ns, os) || !equality.Semantic.DeepEqual(pod.Annotations, old.Annotations)
}

// podSpecOf finds the pod spec of a pod or a workload's template.
func podSpecOf(a *endpoints.Attributes) (map[string]string, *corev1.PodSpec, bool) {
	var tmpl *corev1.PodTemplateSpec
	switch o := a.Object.(type) {
	case *corev1.Pod:
		if a.Subresource != "" && a.Subresource != "ephemeralcontainers" {
			return nil, nil, false
		}
		return o.Annotations, &o.Spec, true
	case *corev1.PodTemplate:
		tmpl = &o.Template
	case *corev1.ReplicationController:
		tmpl = o.Spec.Template
	case *appsv1.Deployment:
		tmpl = &o.Spec.Template
	case *appsv1.ReplicaSet:
		tmpl = &o.Spec.Template
	case *appsv1.StatefulSet:
		tmpl = &o.Spec.Template
	case *appsv1.DaemonSet:
		tmpl = &o.Spec.Template
	case *batchv1.Job:
		tmpl = &o.Spec.Template
	case *batchv1.CronJob:
		tmpl = &o.Spec.JobTemplate.Spec.Template
	default:
		return nil, nil, false
	}
	if a.Subresource != "" || tmpl == nil {
		return nil, nil, false
	}
	return tmpl.Annotations, &tmpl.Spec, false
}

// namespaceChange warns, when a namespace's enforce level changes, about the pods
// already in it that the new level would refuse, grouped by their reasons.
func (p *podSecurity) namespaceChange(ctx context.Context, a *endpoints.Attributes) error {
	ns, ok := a.Object.(*corev1.Namespace)
	old, ok2 := a.OldObject.(*corev1.Namespace)
	if !ok || !ok2 || a.Operation != "UPDATE" || slices.Contains(p.cfg.Exemptions.Namespaces, ns.Name) {
		return nil
	}
	enforce, _, _ := p.policies(ns.Labels)
	before, _, _ := p.policies(old.Labels)
	if enforce == before || enforce.level == "privileged" {
		return nil
	}
	r := p.d.Readers(podsGVR)
	if r == nil {
		return nil
	}
	obj, err := r.List(ctx, ns.Name, &metav1.ListOptions{})
	if err != nil {
		request.AddWarning(ctx, fmt.Sprintf("failed to list pods while checking new PodSecurity enforce level: %v", err))
		return nil
	}
	list, _ := obj.(*corev1.PodList)
	if list == nil {
		return nil
	}
	groups := map[string][]string{}
	for i := range list.Items {
		pod := &list.Items[i]
		if pod.Spec.RuntimeClassName != nil && slices.Contains(p.cfg.Exemptions.RuntimeClasses, *pod.Spec.RuntimeClassName) {
			continue
		}
		var reasons []string
		for _, v := range violationsPSS(enforce.level, pod.Annotations, &pod.Spec) {
			reasons = append(reasons, v.reason)
		}
		if len(reasons) > 0 {
			key := strings.Join(reasons, ", ")
			groups[key] = append(groups[key], pod.Name)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	request.AddWarning(ctx, fmt.Sprintf("existing pods in namespace %q violate the new PodSecurity enforce level %q", ns.Name, enforce.String()))
	type group struct{ first, line string }
	var lines []group
	for reasons, pods := range groups {
		slices.Sort(pods)
		line := pods[0]
		switch n := len(pods) - 1; n {
		case 0:
		case 1:
			line += " (and 1 other pod)"
		default:
			line += fmt.Sprintf(" (and %d other pods)", n)
		}
		lines = append(lines, group{pods[0], line + ": " + reasons})
	}
	slices.SortFunc(lines, func(x, y group) int { return strings.Compare(x.first, y.first) })
	for _, l := range lines {
		request.AddWarning(ctx, l.line)
	}
	return nil
}
