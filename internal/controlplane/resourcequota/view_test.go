package resourcequota

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/admission"
)

// TestQuotaViewKeepsUsage: every quota counts the informer's reduced pod exactly as
// the full pod, so the transform never changes status.used.
func TestQuotaViewKeepsUsage(t *testing.T) {
	always := corev1.ContainerRestartPolicyAlways
	full := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", Labels: map[string]string{"a": "b"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}}},
		Spec: corev1.PodSpec{
			Volumes: []corev1.Volume{{Name: "v"}},
			InitContainers: []corev1.Container{
				{Name: "init", Image: "i", Resources: corev1.ResourceRequirements{Requests: list("cpu", "2", "memory", "1Gi")}},
				{Name: "sidecar", Image: "s", RestartPolicy: &always, Resources: corev1.ResourceRequirements{Requests: list("cpu", "100m")}},
			},
			Containers: []corev1.Container{{Name: "c", Image: "x", Env: []corev1.EnvVar{{Name: "E", Value: "v"}},
				Resources: corev1.ResourceRequirements{
					Requests: list("cpu", "500m", "memory", "256Mi", "example.com/gpu", "1", "hugepages-2Mi", "4Mi", "ephemeral-storage", "1Gi"),
					Limits:   list("cpu", "1", "memory", "512Mi"),
				}}},
			Overhead:              list("cpu", "10m", "memory", "8Mi"),
			PriorityClassName:     "high",
			ActiveDeadlineSeconds: ptr.To[int64](30),
			Affinity: &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{
				{TopologyKey: "k", NamespaceSelector: &metav1.LabelSelector{}}}}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady}}},
	}
	viewed, err := quotaView(full.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	view := viewed.(*corev1.Pod)
	if len(view.ManagedFields) != 0 || len(view.Spec.Volumes) != 0 || len(view.Spec.Containers[0].Env) != 0 {
		t.Errorf("view keeps fields quota never reads: %+v", view)
	}
	hard := list("pods", "10", "cpu", "10", "memory", "10Gi", "requests.cpu", "10", "limits.cpu", "10",
		"requests.memory", "10Gi", "limits.memory", "10Gi", "requests.example.com/gpu", "4", "hugepages-2Mi", "1Gi",
		"requests.ephemeral-storage", "10Gi", "count/pods", "10")
	quotas := map[string]corev1.ResourceQuotaSpec{
		"unscoped":        {Hard: hard},
		"terminating":     {Hard: hard, Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeTerminating}},
		"not-terminating": {Hard: hard, Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotTerminating}},
		"best-effort":     {Hard: list("pods", "10"), Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}},
		"not-best-effort": {Hard: hard, Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotBestEffort}},
		"priority-class": {Hard: hard, ScopeSelector: &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
			{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{"high"}}}}},
		"cross-namespace-affinity": {Hard: hard, ScopeSelector: &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
			{ScopeName: corev1.ResourceQuotaScopeCrossNamespacePodAffinity, Operator: corev1.ScopeSelectorOpExists}}}},
	}
	for _, ph := range []corev1.PodPhase{corev1.PodRunning, corev1.PodSucceeded} {
		full.Status.Phase = ph
		viewed, _ := quotaView(full.DeepCopy())
		for name, spec := range quotas {
			t.Run(string(ph)+"/"+name, func(t *testing.T) {
				q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: spec}
				usage := func(obj runtime.Object) corev1.ResourceList {
					used, err := admission.QuotaUsage(q, func(gr schema.GroupResource) ([]runtime.Object, bool, error) {
						if gr == (schema.GroupResource{Resource: "pods"}) {
							return []runtime.Object{obj}, true, nil
						}
						return nil, false, nil
					})
					if err != nil {
						t.Fatal(err)
					}
					return used
				}
				want, got := usage(full), usage(viewed.(*corev1.Pod))
				if name == "unscoped" && len(want) < len(hard) {
					t.Fatalf("the full pod uses %v, not every name of %v", want, hard)
				}
				if !equality.Semantic.DeepEqual(want, got) {
					t.Errorf("usage through the view = %v, of the full pod %v", got, want)
				}
			})
		}
	}
}
