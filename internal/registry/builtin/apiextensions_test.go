package builtin_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

var (
	crdGVR        = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	apiServiceGVR = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}
)

func gadgetCRD(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": name},
		"spec": map[string]any{
			"group": "example.com", "scope": "Namespaced",
			"names": map[string]any{"plural": "gadgets", "kind": "Gadget"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object",
					"properties": map[string]any{"spec": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}},
		},
	}}
}

// TestCustomResourceDefinitionStorage checks that CRDs are stored as upstream stores
// them (JSON, apiextensions.k8s.io/v1beta1) and read back as v1 unchanged.
func TestCustomResourceDefinitionStorage(t *testing.T) {
	in := servertest.Start(t)
	dyn := dynamic.NewForConfigOrDie(in.Config)
	ctx := context.Background()

	created, err := dyn.Resource(crdGVR).Create(ctx, gadgetCRD("gadgets.example.com"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := unstructured.NestedStringSlice(created.Object, "status", "storedVersions"); strings.Join(got, ",") != "v1" {
		t.Errorf("storedVersions = %v, want [v1]", got)
	}
	if got, _, _ := unstructured.NestedString(created.Object, "spec", "names", "listKind"); got != "GadgetList" {
		t.Errorf("listKind = %q, want the default GadgetList", got)
	}
	resp, err := in.Etcd.Get(ctx, "/registry/apiextensions.k8s.io/customresourcedefinitions/gadgets.example.com")
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("raw value: %v %v", resp, err)
	}
	var stored map[string]any
	if err := json.Unmarshal(resp.Kvs[0].Value, &stored); err != nil {
		t.Fatalf("stored value is not JSON: %v", err)
	}
	if stored["apiVersion"] != "apiextensions.k8s.io/v1beta1" || stored["kind"] != "CustomResourceDefinition" {
		t.Errorf("stored as %v %v, want apiextensions.k8s.io/v1beta1 CustomResourceDefinition", stored["apiVersion"], stored["kind"])
	}
	got, err := dyn.Resource(crdGVR).Get(ctx, "gadgets.example.com", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range [][]string{{"spec", "versions"}, {"spec", "names"}, {"spec", "scope"}} {
		a, _, _ := unstructured.NestedFieldNoCopy(created.Object, f...)
		b, _, _ := unstructured.NestedFieldNoCopy(got.Object, f...)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("%v changed through storage:\n%s\n%s", f, ja, jb)
		}
	}

	invalid := []struct {
		name, field string
		mutate      func(u *unstructured.Unstructured)
	}{
		{"name must be plural.group", "metadata.name", func(u *unstructured.Unstructured) { u.SetName("widgets.example.com") }},
		{"group needs a dot", "spec.group", func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, "example", "spec", "group")
			u.SetName("gadgets.example")
		}},
		{"one storage version", "spec.versions", func(u *unstructured.Unstructured) {
			vs, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
			vs[0].(map[string]any)["storage"] = false
			_ = unstructured.SetNestedSlice(u.Object, vs, "spec", "versions")
		}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			u := gadgetCRD("gadgets.example.com")
			u.SetName("gadgets2.example.com")
			_ = unstructured.SetNestedField(u.Object, "gadgets2", "spec", "names", "plural")
			tc.mutate(u)
			_, err := dyn.Resource(crdGVR).Create(ctx, u, metav1.CreateOptions{})
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("err = %v, want 422 naming %s", err, tc.field)
			}
		})
	}
}

// TestLocalAPIServices checks that every served group version has a Local, Available
// APIService with upstream's priorities, stored as JSON.
func TestLocalAPIServices(t *testing.T) {
	in := servertest.Start(t)
	dyn := dynamic.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	list, err := dyn.Resource(apiServiceGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]*unstructured.Unstructured{}
	for i := range list.Items {
		names[list.Items[i].GetName()] = &list.Items[i]
	}
	for _, want := range []struct {
		name                  string
		groupPriority, vPrior int64
	}{{"v1.", 18000, 1}, {"v1.apps", 17800, 15}, {"v2.autoscaling", 17500, 30}, {"v1.apiextensions.k8s.io", 16700, 15}} {
		s := names[want.name]
		if s == nil {
			t.Errorf("APIService %s missing", want.name)
			continue
		}
		gp, _, _ := unstructured.NestedInt64(s.Object, "spec", "groupPriorityMinimum")
		vp, _, _ := unstructured.NestedInt64(s.Object, "spec", "versionPriority")
		if gp != want.groupPriority || vp != want.vPrior {
			t.Errorf("%s priorities = %d/%d, want %d/%d", want.name, gp, vp, want.groupPriority, want.vPrior)
		}
		conds, _, _ := unstructured.NestedSlice(s.Object, "status", "conditions")
		if len(conds) != 1 || conds[0].(map[string]any)["reason"] != "Local" || conds[0].(map[string]any)["status"] != "True" {
			t.Errorf("%s conditions = %v, want Available Local", want.name, conds)
		}
	}
	if names["v1.apiregistration.k8s.io"] != nil {
		t.Error("the aggregator's own group has an APIService; upstream registers none")
	}
	resp, err := in.Etcd.Get(ctx, "/registry/apiregistration.k8s.io/apiservices/v1.apps")
	if err != nil || len(resp.Kvs) != 1 || !strings.HasPrefix(string(resp.Kvs[0].Value), `{"kind":"APIService","apiVersion":"apiregistration.k8s.io/v1"`) {
		t.Errorf("raw value: %v %v", resp, err)
	}
}
