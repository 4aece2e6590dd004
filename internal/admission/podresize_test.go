package admission_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestPodResizeValidator resizes pods bound to a small linux node and to a windows
// node: what the node cannot hold is Forbidden with upstream's message and cause.
func TestPodResizeValidator(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) { c.DisableAdmissionPlugins = []string{"ServiceAccount"} })
	admin := clientFor(t, in)
	ctx := context.Background()
	for name, os := range map[string]string{"small": "linux", "win": "windows"} {
		n, err := admin.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelOSStable: os}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}
		if _, err := admin.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, node, cpu string
		want, cause     string
	}{
		{"fits", "small", "800m", "", ""},
		{"too much cpu", "small", "2", `pods "too-much-cpu" is forbidden: node didn't have enough allocatable resources: cpu, requested: 2000, allocatable: 1000`, "NodeCapacity"},
		{"windows node", "win", "600m", `pods "windows-node" is forbidden: pod resize is only supported on linux nodes, node "win" is "windows"`, "UnsupportedPlatform"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, " ", "-")
			p := pod(name, func(p *corev1.Pod) {
				p.Spec.NodeName = tc.node
				p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}
			})
			created, err := admin.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			created.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse(tc.cpu)
			_, err = admin.CoreV1().Pods("default").UpdateResize(ctx, name, created, metav1.UpdateOptions{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("resize: %v", err)
				}
				return
			}
			var se *apierrors.StatusError
			if !apierrors.IsForbidden(err) || err.Error() != tc.want {
				t.Fatalf("resize: %v, want %s", err, tc.want)
			}
			if !errors.As(err, &se) || se.ErrStatus.Details == nil || len(se.ErrStatus.Details.Causes) == 0 ||
				string(se.ErrStatus.Details.Causes[len(se.ErrStatus.Details.Causes)-1].Type) != tc.cause {
				t.Errorf("causes %+v, want %s", se, tc.cause)
			}
		})
	}
}
