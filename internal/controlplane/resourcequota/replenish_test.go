package resourcequota

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestCostChanged(t *testing.T) {
	pods := schema.GroupResource{Resource: "pods"}
	services := schema.GroupResource{Resource: "services"}
	configmaps := schema.GroupResource{Resource: "configmaps"}
	relabelled := pod("a")
	relabelled.Labels = map[string]string{"x": "y"}
	tests := []struct {
		name     string
		gr       schema.GroupResource
		old, new any
		want     bool
	}{
		{name: "a pod that finished", gr: pods, old: pod("a"), new: pod("a", phase(corev1.PodSucceeded)), want: true},
		{name: "a pod that was relabelled", gr: pods, old: pod("a"), new: relabelled},
		{name: "a pod resized", gr: pods, old: pod("a", requests(list("cpu", "1"))), new: pod("a", requests(list("cpu", "2"))), want: true},
		{name: "a pod given a deadline", gr: pods, old: pod("a"), new: pod("a", deadline(30)), want: true},
		{name: "a service that became a node port", gr: services,
			old:  &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: []corev1.ServicePort{{Port: 80}}}},
			new:  &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}}}},
			want: true},
		{name: "a counted object's update costs nothing", gr: configmaps,
			old: &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "a"}},
			new: &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"x": "y"}}}},
		{name: "not objects", gr: pods, old: "a", new: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := costChanged(tt.gr, tt.old, tt.new); got != tt.want {
				t.Errorf("costChanged = %v, want %v", got, tt.want)
			}
		})
	}
}
