package admission

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	psapi "k8s.io/pod-security-admission/api"

	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

// A namespace's new enforce level is tried on at most this many of its pods, for
// at most this long (or half the request's remaining time), as upstream.
const (
	pssNamespaceMaxPodsToCheck  = 3000
	pssNamespacePodCheckTimeout = time.Second
)

// validateNamespace refuses pod-security labels that do not parse (on create, and on
// update when they changed), and warns when a stricter enforce level would refuse
// pods already in the namespace.
func (p *podSecurity) validateNamespace(ctx context.Context, a *endpoints.Attributes) error {
	if a.Subresource != "" {
		return nil
	}
	ns, ok := a.Object.(*corev1.Namespace)
	if !ok || ns == nil {
		return badRequestAnnotated(ctx, "failed to decode namespace")
	}
	newPolicy, newErrs := namespacePolicy(ns.Labels, p.cfg.policy)
	invalid := func() error {
		return apierrors.NewInvalid(a.Kind.GroupKind(), a.Name, newErrs)
	}
	if a.Operation == "CREATE" {
		if len(newErrs) > 0 {
			return invalid()
		}
		if p.exemptNamespace(ns.Name) {
			request.AddWarning(ctx, p.exemptNamespaceWarning(ns.Name, newPolicy, ns.Labels))
		}
		return nil
	}
	old, ok := a.OldObject.(*corev1.Namespace)
	if !ok || old == nil {
		return badRequestAnnotated(ctx, "failed to decode old namespace")
	}
	oldPolicy, oldErrs := namespacePolicy(old.Labels, p.cfg.policy)
	// Labels that were already invalid the same way may stay, so the namespace can
	// still be written.
	if len(newErrs) > 0 && (len(oldErrs) == 0 || !reflect.DeepEqual(newErrs, oldErrs)) {
		return invalid()
	}
	switch {
	case newPolicy.Enforce == oldPolicy.Enforce,
		newPolicy.Enforce.Level == psapi.LevelPrivileged,
		newPolicy.Enforce.Version == oldPolicy.Enforce.Version && psapi.CompareLevels(newPolicy.Enforce.Level, oldPolicy.Enforce.Level) < 1:
		// Unchanged, privileged, or relaxed at the same version: no pod can newly fail.
		return nil
	}
	if p.exemptNamespace(ns.Name) {
		request.AddWarning(ctx, p.exemptNamespaceWarning(ns.Name, newPolicy, ns.Labels))
		return nil
	}
	for _, w := range p.checkExistingPods(ctx, ns.Name, newPolicy.Enforce) {
		request.AddWarning(ctx, w)
	}
	return nil
}

// checkExistingPods returns the warnings about the pods of namespace that enforce
// would refuse: pods with the same reasons are grouped under the first name.
func (p *podSecurity) checkExistingPods(ctx context.Context, namespace string, enforce psapi.LevelVersion) []string {
	timeout := pssNamespacePodCheckTimeout
	if deadline, ok := ctx.Deadline(); ok {
		if half := time.Until(deadline) / 2; half < timeout {
			timeout = half
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	pods, err := p.listPods(ctx, namespace)
	if err != nil {
		return []string{"failed to list pods while checking new PodSecurity enforce level"}
	}
	pods = p.prioritizePods(pods)
	total := len(pods)
	if len(pods) > pssNamespaceMaxPodsToCheck {
		pods = pods[:pssNamespaceMaxPodsToCheck]
	}
	type group struct {
		firstPod string
		count    int
	}
	var reasons []string // in the order first seen
	groups := map[string]*group{}
	checked := len(pods)
	for i, pod := range pods {
		if r := p.checks.evaluate(enforce, &pod.ObjectMeta, &pod.Spec); !r.Allowed {
			reason := r.ForbiddenReason()
			g, seen := groups[reason]
			if !seen {
				g = &group{firstPod: pod.Name}
				groups[reason] = g
				reasons = append(reasons, reason)
			} else if pod.Name < g.firstPod {
				g.firstPod = pod.Name
			}
			g.count++
		}
		if ctx.Err() != nil {
			checked = i + 1
			break
		}
	}
	var warnings []string
	if checked < total {
		warnings = append(warnings, fmt.Sprintf("new PodSecurity enforce level only checked against the first %d of %d existing pods", checked, total))
	}
	if len(reasons) == 0 {
		return warnings
	}
	warnings = append(warnings, fmt.Sprintf("existing pods in namespace %q violate the new PodSecurity enforce level %q", namespace, enforce.String()))
	lines := make([]string, 0, len(reasons))
	for _, reason := range reasons {
		g := groups[reason]
		switch g.count {
		case 1:
			lines = append(lines, fmt.Sprintf("%s: %s", g.firstPod, reason))
		case 2:
			lines = append(lines, fmt.Sprintf("%s (and 1 other pod): %s", g.firstPod, reason))
		default:
			lines = append(lines, fmt.Sprintf("%s (and %d other pods): %s", g.firstPod, g.count-1, reason))
		}
	}
	sort.Strings(lines)
	return append(warnings, lines...)
}

// listPods reads the namespace's pods (a consistent list, so pods created just
// before the label change are among them).
func (p *podSecurity) listPods(ctx context.Context, namespace string) ([]*corev1.Pod, error) {
	r := p.d.Readers(podsGVR)
	if r == nil {
		return nil, errNotServed
	}
	obj, err := r.List(ctx, namespace, &metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	list, ok := obj.(*corev1.PodList)
	if !ok {
		return nil, fmt.Errorf("unexpected pod list %T", obj)
	}
	pods := make([]*corev1.Pod, len(list.Items))
	for i := range list.Items {
		pods[i] = &list.Items[i]
	}
	return pods, nil
}

// prioritizePods drops pods of exempt runtime classes and puts one pod of each
// controller first, so a capped check still sees every workload.
func (p *podSecurity) prioritizePods(pods []*corev1.Pod) []*corev1.Pod {
	first := make([]*corev1.Pod, 0, len(pods))
	var replicas []*corev1.Pod
	controllers := map[types.UID]bool{}
	for _, pod := range pods {
		if p.exemptRuntimeClass(pod.Spec.RuntimeClassName) {
			continue
		}
		ref := metav1.GetControllerOfNoCopy(pod)
		switch {
		case ref == nil:
			first = append(first, pod)
		case controllers[ref.UID]:
			replicas = append(replicas, pod)
		default:
			controllers[ref.UID] = true
			first = append(first, pod)
		}
	}
	return append(first, replicas...)
}

// exemptNamespaceWarning tells that an exempt namespace's own non-privileged
// labels are ignored; "" when there is nothing to tell.
func (p *podSecurity) exemptNamespaceWarning(name string, pol psapi.Policy, labels map[string]string) string {
	if pol.FullyPrivileged() || pol.Equivalent(&p.cfg.policy) {
		return ""
	}
	var modes []string
	for _, m := range []struct {
		name                 string
		lv                   psapi.LevelVersion
		levelKey, versionKey string
	}{
		{"enforce", pol.Enforce, psapi.EnforceLevelLabel, psapi.EnforceVersionLabel},
		{"audit", pol.Audit, psapi.AuditLevelLabel, psapi.AuditVersionLabel},
		{"warn", pol.Warn, psapi.WarnLevelLabel, psapi.WarnVersionLabel},
	} {
		_, hasLevel := labels[m.levelKey]
		_, hasVersion := labels[m.versionKey]
		if m.lv.Level != psapi.LevelPrivileged && (hasLevel || hasVersion) {
			modes = append(modes, m.name+"="+m.lv.String())
		}
	}
	return fmt.Sprintf("namespace %q is exempt from Pod Security, and the policy (%s) will be ignored", name, strings.Join(modes, ", "))
}
