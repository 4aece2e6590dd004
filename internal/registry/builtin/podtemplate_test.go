package builtin_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestPodTemplateGeneration: as upstream's strategy, a PodTemplate starts at
// generation 1 and each change of its template adds one; metadata changes do not.
func TestPodTemplateGeneration(t *testing.T) {
	in := servertest.Start(t)
	pts := kubernetes.NewForConfigOrDie(in.Config).CoreV1().PodTemplates("default")
	ctx := context.Background()
	pt, err := pts.Create(ctx, &corev1.PodTemplate{ObjectMeta: metav1.ObjectMeta{Name: "t"}, Template: corev1.PodTemplateSpec{
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "a"}}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name, patch string
		want        int64
	}{
		{"create", "", 1},
		{"a template change", `{"template":{"spec":{"containers":[{"name":"c","image":"b"}]}}}`, 2},
		{"a label", `{"metadata":{"labels":{"x":"y"}}}`, 2},
	} {
		if step.patch != "" {
			if pt, err = pts.Patch(ctx, "t", types.StrategicMergePatchType, []byte(step.patch), metav1.PatchOptions{}); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		if pt.Generation != step.want {
			t.Errorf("after %s: generation %d, want %d", step.name, pt.Generation, step.want)
		}
	}
}
