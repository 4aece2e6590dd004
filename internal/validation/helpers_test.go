package validation

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// wantErrs compares the rendered causes with upstream's strings, in order.
func wantErrs(t *testing.T, got field.ErrorList, want []string) {
	t.Helper()
	var gotS []string
	for _, e := range got {
		gotS = append(gotS, e.Error())
	}
	if !slices.Equal(gotS, want) {
		t.Errorf("errors:\n got %q\nwant %q", gotS, want)
	}
}

func ptr[T any](v T) *T { return &v }

// validPod is a defaulted pod that passes validation.
func validPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "1"},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "app", Image: "nginx", ImagePullPolicy: corev1.PullAlways,
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}},
			RestartPolicy:                 corev1.RestartPolicyAlways,
			DNSPolicy:                     corev1.DNSClusterFirst,
			TerminationGracePeriodSeconds: ptr(int64(30)),
		},
	}
}
