package crdtable

import (
	"fmt"
	"reflect"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

func scaleSpec(selector string) *apiextensionsv1.CustomResourceSubresourceScale {
	sc := &apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas"}
	if selector != "" {
		sc.LabelSelectorPath = &selector
	}
	return sc
}

func obj(content map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: content}
}

func TestScaleRead(t *testing.T) {
	cases := []struct {
		name     string
		selector string
		obj      runtime.Object
		want     ScaleValues
		wantErr  string
	}{
		{
			name:     "all set",
			selector: ".status.labelSelector",
			obj: obj(map[string]any{
				"spec":   map[string]any{"replicas": int64(3)},
				"status": map[string]any{"replicas": int64(2), "labelSelector": "app=x"},
			}),
			want: ScaleValues{SpecReplicas: 3, StatusReplicas: 2, Selector: "app=x", SpecFound: true},
		},
		{
			name: "nothing set reads zeros",
			obj:  obj(map[string]any{}),
			want: ScaleValues{},
		},
		{
			name:     "selector path without value",
			selector: ".status.labelSelector",
			obj:      obj(map[string]any{"spec": map[string]any{"replicas": int64(0)}}),
			want:     ScaleValues{SpecFound: true},
		},
		{
			name:    "spec replicas of a wrong type",
			obj:     obj(map[string]any{"spec": map[string]any{"replicas": "three"}}),
			wantErr: ".spec.replicas accessor error: three is of the type string, expected int64",
		},
		{
			name:    "status replicas of a wrong type",
			obj:     obj(map[string]any{"status": map[string]any{"replicas": 1.5}}),
			wantErr: ".status.replicas accessor error: 1.5 is of the type float64, expected int64",
		},
		{
			name:    "spec not an object",
			obj:     obj(map[string]any{"spec": "x"}),
			wantErr: ".spec.replicas accessor error: x is of the type string, expected map[string]interface{}",
		},
		{
			name:     "selector of a wrong type",
			selector: ".status.labelSelector",
			obj:      obj(map[string]any{"status": map[string]any{"labelSelector": int64(1)}}),
			wantErr:  ".status.labelSelector accessor error: 1 is of the type int64, expected string",
		},
		{
			name:    "not a custom resource",
			obj:     &metav1.PartialObjectMetadata{},
			wantErr: "scale: expected a custom resource, got *v1.PartialObjectMetadata",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NewScalePaths(scaleSpec(tc.selector)).Read(tc.obj)
			if fmt.Sprint(err) != fmt.Sprint(errOrNil(tc.wantErr)) {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("values = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func errOrNil(msg string) error {
	if msg == "" {
		return nil
	}
	return fmt.Errorf("%s", msg)
}

func TestScaleSetReplicas(t *testing.T) {
	cases := []struct {
		name    string
		obj     *unstructured.Unstructured
		want    int64
		wantErr string
	}{
		{"overwrites", obj(map[string]any{"spec": map[string]any{"replicas": int64(1)}}), 5, ""},
		{"creates the parents", obj(map[string]any{}), 5, ""},
		{"nil content", &unstructured.Unstructured{}, 5, ""},
		{"parent not an object", obj(map[string]any{"spec": "x"}), 0, "value cannot be set because .spec is not a map[string]interface{}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := NewScalePaths(scaleSpec("")).SetReplicas(tc.obj, 5)
			if fmt.Sprint(err) != fmt.Sprint(errOrNil(tc.wantErr)) {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			got, _, _ := unstructured.NestedInt64(tc.obj.Object, "spec", "replicas")
			if got != tc.want {
				t.Errorf("spec.replicas = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestScaleAdapter(t *testing.T) {
	cases := []struct {
		name         string
		obj          *unstructured.Unstructured
		spec, status int32
		selector     string
		afterSet     int64
	}{
		{"values", obj(map[string]any{"spec": map[string]any{"replicas": int64(2)}, "status": map[string]any{"replicas": int64(1), "sel": "a=b"}}), 2, 1, "a=b", 7},
		{"wrong type reads zero", obj(map[string]any{"spec": map[string]any{"replicas": "2"}}), 0, 0, "", 7},
		{"unwritable parent is left alone", obj(map[string]any{"spec": true}), 0, 0, "", 0},
	}
	sc := Scale(scaleSpec(".status.sel"))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec, status, selector := sc.Get(tc.obj)
			if spec != tc.spec || status != tc.status || selector != tc.selector {
				t.Errorf("Get = %d %d %q, want %d %d %q", spec, status, selector, tc.spec, tc.status, tc.selector)
			}
			sc.SetReplicas(tc.obj, 7)
			got, _, _ := unstructured.NestedInt64(tc.obj.Object, "spec", "replicas")
			if got != tc.afterSet {
				t.Errorf("after SetReplicas spec.replicas = %d, want %d", got, tc.afterSet)
			}
		})
	}
	if got, want := Scale(&apiextensionsv1.CustomResourceSubresourceScale{SpecReplicasPath: ".spec.a.b"}).ReplicasPath, []string{"spec", "a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ReplicasPath = %q, want %q", got, want)
	}
	if got, want := NewScalePaths(scaleSpec("")).EmptySpecReplicasError(), `the spec replicas field ".spec.replicas" cannot be empty`; got != want {
		t.Errorf("EmptySpecReplicasError = %q, want %q", got, want)
	}
}
