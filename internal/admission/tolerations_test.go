package admission_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/endpoints"
)

// TestDefaultTolerationSecondsFlags: the plugin adds its tolerations for the
// seconds the server was given, 300 each when it was given none.
func TestDefaultTolerationSecondsFlags(t *testing.T) {
	tests := []struct {
		name                    string
		notReady, unreachable   *int64
		wantNotReady, wantUnrch int64
	}{
		{"defaults", nil, nil, 300, 300},
		{"given", ptr.To[int64](60), ptr.To[int64](0), 60, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := admission.Factories["DefaultTolerationSeconds"](admission.Deps{
				NotReadyTolerationSeconds: tc.notReady, UnreachableTolerationSeconds: tc.unreachable}, nil)
			if err != nil {
				t.Fatal(err)
			}
			pod := &corev1.Pod{}
			a := &endpoints.Attributes{Operation: "CREATE", Resource: schema.GroupVersionResource{Version: "v1", Resource: "pods"}, Object: pod}
			if err := p.(interface {
				Admit(context.Context, *endpoints.Attributes) error
			}).Admit(context.Background(), a); err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, tol := range pod.Spec.Tolerations {
				got[tol.Key] = *tol.TolerationSeconds
			}
			if got[corev1.TaintNodeNotReady] != tc.wantNotReady || got[corev1.TaintNodeUnreachable] != tc.wantUnrch || len(got) != 2 {
				t.Errorf("tolerations %v, want not-ready %d and unreachable %d", got, tc.wantNotReady, tc.wantUnrch)
			}
		})
	}
}
