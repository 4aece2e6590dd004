package admission

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1alpha3 "k8s.io/api/scheduling/v1alpha3"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

func TestPodGroupProtection(t *testing.T) {
	podGroups := schema.GroupVersionResource{Group: "scheduling.k8s.io", Version: "v1alpha3", Resource: "podgroups"}
	withFinalizer := &schedulingv1alpha3.PodGroup{}
	withFinalizer.Finalizers = []string{"other", podGroupProtectionFinalizer}
	tests := []struct {
		name  string
		attrs *endpoints.Attributes
		want  []string // finalizers afterwards; nil for objects that are not PodGroups
	}{
		{"new PodGroup gets the finalizer", &endpoints.Attributes{Operation: "CREATE", Resource: podGroups, Object: &schedulingv1alpha3.PodGroup{}},
			[]string{podGroupProtectionFinalizer}},
		{"finalizer not added twice", &endpoints.Attributes{Operation: "CREATE", Resource: podGroups, Object: withFinalizer},
			[]string{"other", podGroupProtectionFinalizer}},
		{"updates untouched", &endpoints.Attributes{Operation: "UPDATE", Resource: podGroups, Object: &schedulingv1alpha3.PodGroup{}}, []string{}},
		{"status subresource untouched", &endpoints.Attributes{Operation: "CREATE", Resource: podGroups, Subresource: "status", Object: &schedulingv1alpha3.PodGroup{}}, []string{}},
		{"other resources untouched", &endpoints.Attributes{Operation: "CREATE", Resource: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Object: &corev1.Pod{}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := (podGroupProtection{}).Admit(context.Background(), tc.attrs); err != nil {
				t.Fatal(err)
			}
			var got []string
			switch o := tc.attrs.Object.(type) {
			case *schedulingv1alpha3.PodGroup:
				got = append([]string{}, o.Finalizers...)
			case runtime.Object:
				if len(o.(*corev1.Pod).Finalizers) > 0 {
					t.Errorf("pod got finalizers %v", o.(*corev1.Pod).Finalizers)
				}
				return
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("finalizers = %v, want %v", got, tc.want)
			}
		})
	}
	if _, ok := Factories["PodGroupProtection"]; !ok {
		t.Error("PodGroupProtection is not registered")
	}
}
