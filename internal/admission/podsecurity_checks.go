package admission

import (
	"fmt"
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	psapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// podSecurityChecks evaluates the Pod Security Standards with upstream's check
// library, so each level's checks, their wording and what changed between
// versions (enforce-version: v1.2x) are upstream's own.
type podSecurityChecks struct {
	evaluator policy.Evaluator
}

func newPodSecurityChecks() (*podSecurityChecks, error) {
	ev, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		return nil, fmt.Errorf("could not create PodSecurityRegistry: %w", err)
	}
	return &podSecurityChecks{evaluator: ev}, nil
}

// evaluate runs the checks of lv; privileged allows everything, and versions newer
// than the library's checks evaluate as the newest.
func (c *podSecurityChecks) evaluate(lv psapi.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) policy.AggregateCheckResult {
	return policy.AggregateCheckResults(c.evaluator.EvaluatePod(lv, meta, spec))
}

// namespacePolicy is the policy a namespace's pod-security.kubernetes.io labels
// select over the configured defaults. Invalid labels are reported and fail
// closed for enforce (restricted) and open for audit and warn (privileged).
func namespacePolicy(labels map[string]string, defaults psapi.Policy) (psapi.Policy, field.ErrorList) {
	return psapi.PolicyToEvaluate(labels, defaults)
}

// podControllerResources embed a pod template that is warned and audited, never
// enforced: their pods are enforced when they are created.
var podControllerResources = map[schema.GroupResource]bool{
	{Resource: "replicationcontrollers"}:      true,
	{Resource: "podtemplates"}:                true,
	{Group: "apps", Resource: "replicasets"}:  true,
	{Group: "apps", Resource: "deployments"}:  true,
	{Group: "apps", Resource: "statefulsets"}: true,
	{Group: "apps", Resource: "daemonsets"}:   true,
	{Group: "batch", Resource: "jobs"}:        true,
	{Group: "batch", Resource: "cronjobs"}:    true,
}

// podTemplateOf returns the pod metadata and spec a pod controller would create its
// pods from; both nil when it has no template (a ReplicationController may not).
func podTemplateOf(obj runtime.Object) (*metav1.ObjectMeta, *corev1.PodSpec, error) {
	if isNilObject(obj) {
		return nil, nil, fmt.Errorf("unexpected object type: %T", obj)
	}
	var tmpl *corev1.PodTemplateSpec
	switch o := obj.(type) {
	case *corev1.PodTemplate:
		tmpl = &o.Template
	case *corev1.ReplicationController:
		tmpl = o.Spec.Template
	case *appsv1.ReplicaSet:
		tmpl = &o.Spec.Template
	case *appsv1.Deployment:
		tmpl = &o.Spec.Template
	case *appsv1.DaemonSet:
		tmpl = &o.Spec.Template
	case *appsv1.StatefulSet:
		tmpl = &o.Spec.Template
	case *batchv1.Job:
		tmpl = &o.Spec.Template
	case *batchv1.CronJob:
		tmpl = &o.Spec.JobTemplate.Spec.Template
	default:
		return nil, nil, fmt.Errorf("unexpected object type: %s", obj.GetObjectKind().GroupVersionKind().String())
	}
	if tmpl == nil {
		return nil, nil, nil
	}
	return &tmpl.ObjectMeta, &tmpl.Spec, nil
}

// isNilObject reports a nil object, typed or not, which has nothing to evaluate.
func isNilObject(obj runtime.Object) bool {
	if obj == nil {
		return true
	}
	v := reflect.ValueOf(obj)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// significantPodUpdate reports whether an update may change what the checks see.
// A pod's spec is immutable but for images and added ephemeral containers, so only
// those (and a changed number of containers) are re-evaluated, as upstream.
func significantPodUpdate(pod, old *corev1.Pod) bool {
	if len(pod.Spec.Containers) != len(old.Spec.Containers) || len(pod.Spec.InitContainers) != len(old.Spec.InitContainers) {
		return true
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Image != old.Spec.Containers[i].Image {
			return true
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Image != old.Spec.InitContainers[i].Image {
			return true
		}
	}
	oldEphemeral := map[string]string{}
	for _, c := range old.Spec.EphemeralContainers {
		if _, dup := oldEphemeral[c.Name]; !dup {
			oldEphemeral[c.Name] = c.Image
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		image, ok := oldEphemeral[c.Name]
		if !ok || image != c.Image {
			return true
		}
	}
	return false
}
