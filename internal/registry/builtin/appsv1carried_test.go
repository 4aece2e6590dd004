package builtin_test

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestDaemonSetTemplateGeneration: the deprecated.daemonset.template.generation
// annotation is upstream's spec.templateGeneration: 1 on create, one more when an
// update changes the pod template, and no client's to set afterwards, through the
// main resource or status.
func TestDaemonSetTemplateGeneration(t *testing.T) {
	in := servertest.Start(t)
	dss := kubernetes.NewForConfigOrDie(in.Config).AppsV1().DaemonSets("default")
	ctx := context.Background()
	labels := map[string]string{"app": "agent"}
	ds, err := dss.Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"}, Spec: appsv1.DaemonSetSpec{
		Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "agent:1"}}}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Upstream's conversion writes the annotation before the creator's fields are
	// recorded, so the creator owns it.
	if mf := ds.ManagedFields; len(mf) != 1 || !strings.Contains(string(mf[0].FieldsV1.Raw), `"f:deprecated.daemonset.template.generation"`) {
		t.Errorf("creator's managed fields %v lack the template generation annotation", mf)
	}
	steps := []struct {
		name, subresource, patch string
		want                     string
	}{
		{"create", "", "", "1"},
		{"a template change", "", `{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"agent:2"}]}}}}`, "2"},
		{"another spec change", "", `{"spec":{"minReadySeconds":5}}`, "2"},
		{"the client's own value", "", `{"metadata":{"annotations":{"deprecated.daemonset.template.generation":"7"}}}`, "2"},
		{"the annotation removed", "", `{"metadata":{"annotations":{"deprecated.daemonset.template.generation":null}}}`, "2"},
		{"a status write's value", "status", `{"metadata":{"annotations":{"deprecated.daemonset.template.generation":"9"}},"status":{"numberReady":1}}`, "2"},
	}
	for _, step := range steps {
		if step.patch != "" {
			var subresources []string
			if step.subresource != "" {
				subresources = []string{step.subresource}
			}
			if ds, err = dss.Patch(ctx, "agent", types.MergePatchType, []byte(step.patch), metav1.PatchOptions{}, subresources...); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		if got := ds.Annotations[appsv1.DeprecatedTemplateGeneration]; got != step.want {
			t.Errorf("after %s: template generation %q, want %q", step.name, got, step.want)
		}
	}
}

// TestStatefulSetClaimTemplatesTyped: a StatefulSet's claim templates carry
// apiVersion and kind on every read, as upstream's apps/v1 conversion writes them
// (etcd's protobuf does not keep them).
func TestStatefulSetClaimTemplatesTyped(t *testing.T) {
	in := servertest.Start(t)
	cfg := rest.CopyConfig(in.Config)
	cfg.ContentType = "application/json" // protobuf carries no nested apiVersion and kind
	sets := kubernetes.NewForConfigOrDie(cfg).AppsV1().StatefulSets("default")
	ctx := context.Background()
	labels := map[string]string{"app": "db"}
	claim := corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{
		AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}
	created, err := sets.Create(ctx, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: appsv1.StatefulSetSpec{
		Selector: &metav1.LabelSelector{MatchLabels: labels}, ServiceName: "db",
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "db"}}}},
		VolumeClaimTemplates: []corev1.PersistentVolumeClaim{claim}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sets.Get(ctx, "db", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := sets.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v, %d items", err, len(list.Items))
	}
	for _, read := range []struct {
		name string
		set  *appsv1.StatefulSet
	}{{"create", created}, {"get", got}, {"list", &list.Items[0]}} {
		tm := read.set.Spec.VolumeClaimTemplates[0].TypeMeta
		if tm.APIVersion != "v1" || tm.Kind != "PersistentVolumeClaim" {
			t.Errorf("%s: claim template typed %+v, want v1 PersistentVolumeClaim", read.name, tm)
		}
	}
}
