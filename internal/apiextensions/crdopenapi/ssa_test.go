package crdopenapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/yaml"
)

func typeConverter(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition) managedfields.TypeConverter {
	t.Helper()
	defs, preserve, err := SSADefinitions(crd, "v1")
	if err != nil {
		t.Fatal(err)
	}
	tc, err := managedfields.NewTypeConverter(defs, preserve)
	if err != nil {
		t.Fatalf("NewTypeConverter: %v", err)
	}
	return tc
}

func object(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSSADefinitions(t *testing.T) {
	defs, preserve, err := SSADefinitions(cronTab(t), "v1")
	if err != nil {
		t.Fatal(err)
	}
	if preserve {
		t.Error("preserveUnknownFields = true for a v1 CRD")
	}
	tests := []struct {
		name string
		keys []string
		want any
	}{
		{"kind", []string{kindName, extGVK}, []any{map[string]any{"group": "stable.example.com", "version": "v1", "kind": "CronTab"}}},
		{"metadata reference wrapped as the v3 builder does", []string{kindName, "properties", "metadata", "allOf"},
			[]any{map[string]any{"$ref": "#/components/schemas/" + ObjectMetaName}}},
		{"ObjectMeta included", []string{ObjectMetaName, "type"}, "object"},
		{"ObjectMeta's references included", []string{"io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry", "type"}, "object"},
		{"list map keys kept", []string{kindName, "properties", "spec", "properties", "ports", "x-kubernetes-list-map-keys"}, []any{"name"}},
	}
	all := toJSON(t, defs)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := lookup(all, tc.keys...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v = %#v, want %#v", tc.keys, got, tc.want)
			}
		})
	}
	t.Run("every reference resolves", func(t *testing.T) {
		for _, ref := range refs(all) {
			if _, ok := all[strings.TrimPrefix(ref, "#/components/schemas/")]; !ok {
				t.Errorf("unresolved %s", ref)
			}
		}
	})
}

// refs returns every $ref below v.
func refs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "$ref" {
				out = append(out, s)
				continue
			}
			out = append(out, refs(e)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, refs(e)...)
		}
	}
	return out
}

// TestSSAMergesListMapsByKey applies an object over a live one through the type
// converter: ports, a list of type map, merges by name instead of being replaced,
// and the field set names ports by key.
func TestSSAMergesListMapsByKey(t *testing.T) {
	tc := typeConverter(t, cronTab(t))
	live, err := tc.ObjectToTyped(object(t, `
apiVersion: stable.example.com/v1
kind: CronTab
metadata: {name: a, namespace: default, labels: {x: "1"}}
spec:
  cronSpec: "* * * * */5"
  image: nginx
  ports: [{name: http, port: 80}, {name: https, port: 443}]
`))
	if err != nil {
		t.Fatalf("live: %v", err)
	}
	applied, err := tc.ObjectToTyped(object(t, `
apiVersion: stable.example.com/v1
kind: CronTab
metadata: {name: a, namespace: default}
spec:
  ports: [{name: https, port: 8443}, {name: metrics, port: 9090}]
`))
	if err != nil {
		t.Fatalf("applied: %v", err)
	}
	merged, err := live.Merge(applied)
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	got := merged.AsValue().Unstructured().(map[string]any)
	ports, err := json.Marshal(lookup(got, "spec", "ports"))
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"http","port":80},{"name":"https","port":8443},{"name":"metrics","port":9090}]`
	if string(ports) != want {
		t.Errorf("merged ports = %s, want %s", ports, want)
	}
	if lookup(got, "metadata", "labels", "x") != "1" {
		t.Errorf("metadata.labels lost: %v", lookup(got, "metadata"))
	}

	set, err := applied.ToFieldSet()
	if err != nil {
		t.Fatal(err)
	}
	wantPath := `.spec.ports[name="metrics"].port`
	found := false
	set.Iterate(func(p fieldpath.Path) {
		if p.String() == wantPath {
			found = true
		}
	})
	if !found {
		t.Errorf("field set lacks %s: %v", wantPath, set)
	}
}

func TestSSATypeConverter(t *testing.T) {
	tests := []struct {
		name    string
		obj     string
		wantErr string
	}{
		{"valid", "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {name: a}\nspec: {image: x, maxSurge: 25%, template: {anything: 1}}", ""},
		{"int-or-string integer", "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {name: a}\nspec: {maxSurge: 3}", ""},
		{"unknown kind", "apiVersion: stable.example.com/v1\nkind: Other\nmetadata: {name: a}", "no corresponding type"},
		{"wrong type", "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {name: a}\nspec: {ports: 3}", "expected list"},
		{"duplicate key", "apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {name: a}\nspec: {ports: [{name: a}, {name: a}]}", "duplicate entries"},
	}
	conv := typeConverter(t, cronTab(t))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := conv.ObjectToTyped(object(t, tc.obj))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// TestSSADefinitionsAllVersions checks one converter knows every version.
func TestSSADefinitionsAllVersions(t *testing.T) {
	crd := cronTab(t)
	v2 := crd.Spec.Versions[0].DeepCopy()
	v2.Name, v2.Storage, v2.Served = "v2", false, false
	crd.Spec.Versions = append(crd.Spec.Versions, *v2)
	defs, preserve, err := SSADefinitionsAllVersions(crd)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := managedfields.NewTypeConverter(defs, preserve)
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"v1", "v2"} {
		t.Run(version, func(t *testing.T) {
			if _, err := tc.ObjectToTyped(object(t, "apiVersion: stable.example.com/"+version+"\nkind: CronTab\nmetadata: {name: a}")); err != nil {
				t.Error(err)
			}
		})
	}
}
