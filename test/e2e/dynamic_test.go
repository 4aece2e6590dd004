package e2e

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
)

// TestDynamicAndMetadata drives the server through the dynamic client and the
// metadata-only client (PartialObjectMetadata).
func TestDynamicAndMetadata(t *testing.T) {
	ns := testNamespace(t, "e2e-dyn")
	c := ctx(t, time.Minute)
	dyn, err := dynamic.NewForConfig(shared.restConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	cmGVR := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	depGVR := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

	t.Run("dynamic CRUD", func(t *testing.T) {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "dyn", "labels": map[string]any{"via": "dynamic"}},
			"data":     map[string]any{"k": "v"},
		}}
		created, err := dyn.Resource(cmGVR).Namespace(ns).Create(c, obj, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if created.GetUID() == "" || created.GetKind() != "ConfigMap" {
			t.Errorf("created %v", created.Object)
		}
		list, err := dyn.Resource(cmGVR).Namespace(ns).List(c, metav1.ListOptions{LabelSelector: "via=dynamic"})
		if err != nil || len(list.Items) != 1 || list.GetKind() != "ConfigMapList" {
			t.Fatalf("list: kind=%v items=%d err=%v", list.GetKind(), len(list.Items), err)
		}
		patched, err := dyn.Resource(cmGVR).Namespace(ns).Patch(c, "dyn", types.MergePatchType, []byte(`{"data":{"k":"v2"}}`), metav1.PatchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if v, _, _ := unstructured.NestedString(patched.Object, "data", "k"); v != "v2" {
			t.Errorf("patched data.k = %q", v)
		}
		d := deployment("dyn", 1)
		d.APIVersion, d.Kind = "apps/v1", "Deployment"
		u, err := toUnstructured(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dyn.Resource(depGVR).Namespace(ns).Create(c, u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		sc, err := dyn.Resource(depGVR).Namespace(ns).Get(c, "dyn", metav1.GetOptions{}, "scale")
		if err != nil {
			t.Fatal(err)
		}
		if sc.GetKind() != "Scale" || sc.GetAPIVersion() != "autoscaling/v1" {
			t.Errorf("scale subresource kind %s %s, want autoscaling/v1 Scale", sc.GetAPIVersion(), sc.GetKind())
		}
	})

	t.Run("metadata client list", func(t *testing.T) {
		mc, err := metadata.NewForConfig(shared.restConfig(t))
		if err != nil {
			t.Fatal(err)
		}
		list, err := mc.Resource(cmGVR).Namespace(ns).List(c, metav1.ListOptions{LabelSelector: "via=dynamic"})
		if err != nil {
			t.Fatal(err)
		}
		// client-go drops TypeMeta when decoding; TestRawHTTP checks the wire kind.
		if len(list.Items) != 1 || list.Items[0].Name != "dyn" || list.Items[0].Labels["via"] != "dynamic" || list.Items[0].UID == "" {
			t.Errorf("items %+v, want one full ObjectMeta for dyn", list.Items)
		}
		one, err := mc.Resource(depGVR).Namespace(ns).Get(c, "dyn", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if one.Name != "dyn" || one.Namespace != ns || one.UID == "" {
			t.Errorf("get %+v, want dyn's metadata", one.ObjectMeta)
		}
	})
}

// toUnstructured converts a typed object (with TypeMeta set) to unstructured.
func toUnstructured(obj any) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: m}, nil
}
