package registry_test

import (
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
)

func storeFor(t *testing.T, group, resource string, newFunc func() runtime.Object) *registry.Store {
	t.Helper()
	for _, r := range builtin.Resources(builtin.Deps{}) {
		if r.GroupVersion.Group == group && r.Name == resource {
			return registry.NewStore(r, nil, "/registry", newFunc, nil)
		}
	}
	t.Fatalf("no resource %s/%s", group, resource)
	return nil
}

func TestPredicate(t *testing.T) {
	pods := storeFor(t, "", "pods", func() runtime.Object { return &corev1.Pod{} })
	cms := storeFor(t, "", "configmaps", func() runtime.Object { return &corev1.ConfigMap{} })
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p1", Namespace: "ns", Labels: map[string]string{"app": "web", "tier": "fe"}},
		Spec:       corev1.PodSpec{NodeName: "node-1"},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	tests := []struct {
		name        string
		store       *registry.Store
		label, fsel string
		errContains string // "" means success; "x" means any 400
		match       bool
	}{
		{name: "empty", store: pods, match: true},
		{name: "label equality", store: pods, label: "app=web", match: true},
		{name: "label mismatch", store: pods, label: "app=db", match: false},
		{name: "label set-based", store: pods, label: "tier in (fe,be),!missing", match: true},
		{name: "label exists", store: pods, label: "app", match: true},
		{name: "field name", store: pods, fsel: "metadata.name=p1", match: true},
		{name: "field namespace", store: pods, fsel: "metadata.namespace!=ns", match: false},
		{name: "pod nodeName", store: pods, fsel: "spec.nodeName=node-1", match: true},
		{name: "pod phase", store: pods, fsel: "status.phase=Pending", match: false},
		{name: "label and field", store: pods, label: "app=web", fsel: "spec.nodeName=node-1", match: true},
		{name: "bad label value", store: pods, label: "app=a b", errContains: "x"},
		{name: "bad label operator", store: pods, label: "app in web", errContains: "x"},
		{name: "bad field syntax", store: pods, fsel: "metadata.name", errContains: "x"},
		{name: "unsupported pod field", store: pods, fsel: "spec.foo=bar", errContains: "field label not supported: spec.foo"},
		{name: "unsupported configmap field", store: cms, fsel: "data.x=y", errContains: "data.x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.store.Predicate(tc.label, tc.fsel)
			if tc.errContains != "" {
				if err == nil {
					t.Fatalf("Predicate(%q, %q): no error", tc.label, tc.fsel)
				}
				if !apierrors.IsBadRequest(err) {
					t.Fatalf("error %v is not a 400 BadRequest", err)
				}
				if st := err.(apierrors.APIStatus).Status(); st.Code != http.StatusBadRequest {
					t.Fatalf("code %d", st.Code)
				}
				if tc.errContains != "x" && !strings.Contains(err.Error(), tc.errContains) {
					t.Fatalf("error %q does not contain %q", err, tc.errContains)
				}
				return
			}
			if err != nil {
				t.Fatalf("Predicate: %v", err)
			}
			got, err := p.Matches(pod)
			if err != nil || got != tc.match {
				t.Fatalf("Matches = %v,%v; want %v", got, err, tc.match)
			}
		})
	}
}

func TestSupportedFields(t *testing.T) {
	tests := []struct {
		name  string
		store *registry.Store
		want  []string
	}{
		{"configmaps", storeFor(t, "", "configmaps", func() runtime.Object { return &corev1.ConfigMap{} }), []string{"metadata.name", "metadata.namespace"}},
		{"pods include nodeName", storeFor(t, "", "pods", func() runtime.Object { return &corev1.Pod{} }), []string{"spec.nodeName", "status.phase"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(tc.store.SupportedFields(), ",")
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Fatalf("SupportedFields = %s, missing %s", got, w)
				}
			}
		})
	}
}
