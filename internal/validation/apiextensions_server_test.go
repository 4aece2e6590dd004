package validation_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// crdFromYAML builds a CRD named <plural>.example.com with the given versions.
func crdFromYAML(t *testing.T, plural, versions string) *unstructured.Unstructured {
	t.Helper()
	var vs []any
	if err := yaml.Unmarshal([]byte(versions), &vs); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": plural + ".example.com"},
		"spec": map[string]any{
			"group": "example.com", "scope": "Namespaced",
			"names":    map[string]any{"plural": plural, "kind": "Thing"},
			"versions": vs,
		},
	}}
}

// statusCauses returns "field: message" of each cause of a 422.
func statusCauses(t *testing.T, err error) []string {
	t.Helper()
	var se *apierrors.StatusError
	if !errors.As(err, &se) || se.ErrStatus.Code != 422 || se.ErrStatus.Reason != metav1.StatusReasonInvalid {
		t.Fatalf("err = %v, want a 422 Invalid", err)
	}
	var out []string
	for _, c := range se.ErrStatus.Details.Causes {
		out = append(out, c.Field+": "+c.Message)
	}
	return out
}

func TestCustomResourceDefinitionValidationOverHTTP(t *testing.T) {
	in := servertest.Start(t)
	crds := dynamic.NewForConfigOrDie(in.Config).Resource(crdResource)
	ctx := context.Background()

	cases := []struct {
		name, plural, versions string
		want                   []string
	}{
		{name: "schema required", plural: "nothings", versions: `[{name: v1, served: true, storage: true}]`,
			want: []string{"spec.versions[0].schema.openAPIV3Schema: Required value"}},
		{name: "exactly one storage version", plural: "stores", versions: `[{name: v1, served: true, storage: false, schema: {openAPIV3Schema: {type: object}}}]`,
			want: []string{
				`spec.versions: Invalid value: [{"Name":"v1","Served":true,"Storage":false,"Deprecated":false,"DeprecationWarning":null,"Schema":null,"Subresources":null,"AdditionalPrinterColumns":null,"SelectableFields":null}]: must have exactly one version marked as storage version`,
				`status.storedVersions: Invalid value: null: must have at least one stored version`,
			}},
		{name: "single-version schema errors use spec.validation", plural: "uniques", versions: `
- name: v1
  served: true
  storage: true
  schema:
    openAPIV3Schema:
      type: object
      properties:
        a: {type: array, uniqueItems: true, items: {type: string}}
        b: {properties: {c: {type: string}}}`,
			want: []string{
				"spec.validation.openAPIV3Schema.properties[b].type: Required value: must not be empty for specified object fields",
				"spec.validation.openAPIV3Schema.properties[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
			}},
		{name: "scale paths", plural: "scalers", versions: `
- name: v1
  served: true
  storage: true
  schema: {openAPIV3Schema: {type: object}}
  subresources: {scale: {specReplicasPath: spec.replicas, statusReplicasPath: .spec.replicas}}`,
			want: []string{
				`spec.subresources.scale.specReplicasPath: Invalid value: "spec.replicas": must be a simple json path starting with .`,
				`spec.subresources.scale.statusReplicasPath: Invalid value: ".spec.replicas": should be a json path under .status`,
			}},
		{name: "printer column type", plural: "columns", versions: `
- name: v1
  served: true
  storage: true
  schema: {openAPIV3Schema: {type: object}}
  additionalPrinterColumns: [{name: Age, type: time, jsonPath: .metadata.creationTimestamp}]`,
			want: []string{`spec.additionalPrinterColumns[0].type: Invalid value: "time": must be one of boolean,date,integer,number,string`}},
		{name: "CEL rule that does not compile", plural: "rules", versions: `
- name: v1
  served: true
  storage: true
  schema:
    openAPIV3Schema:
      type: object
      properties: {spec: {type: object, properties: {a: {type: integer}}}}
      x-kubernetes-validations: [{rule: "self.spec.a == 'x'"}]`,
			want: []string{`spec.validation.openAPIV3Schema.x-kubernetes-validations[0].rule: Invalid value: {"Rule":"self.spec.a == 'x'","Message":"","MessageExpression":"","Reason":null,"FieldPath":"","OptionalOldSelf":null}: compilation failed: ERROR: <input>:1:13: found no matching overload for '_==_' applied to '(int, string)'
 | self.spec.a == 'x'
 | ............^`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := crds.Create(ctx, crdFromYAML(t, tc.plural, tc.versions), metav1.CreateOptions{})
			got := statusCauses(t, err)
			if !slices.Equal(got, tc.want) {
				t.Errorf("causes:\n got %q\nwant %q", got, tc.want)
			}
		})
	}

	t.Run("group is immutable", func(t *testing.T) {
		if _, err := crds.Create(ctx, crdFromYAML(t, "keepers", `[{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]`), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		var err error
		for range 10 { // the CRD controller may update status in between
			var current *unstructured.Unstructured
			if current, err = crds.Get(ctx, "keepers.example.com", metav1.GetOptions{}); err != nil {
				t.Fatal(err)
			}
			_ = unstructured.SetNestedField(current.Object, "other.example.com", "spec", "group")
			if _, err = crds.Update(ctx, current, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
				break
			}
		}
		want := []string{`spec.group: Invalid value: "other.example.com": field is immutable`}
		if got := statusCauses(t, err); !slices.Equal(got, want) {
			t.Errorf("causes:\n got %q\nwant %q", got, want)
		}
	})
}
