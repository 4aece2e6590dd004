package crdopenapi

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	kindName = "com.example.stable.v1.CronTab"
	listName = "com.example.stable.v1.CronTabList"
)

func TestModelName(t *testing.T) {
	tests := []struct {
		name, group, version, kind, want string
	}{
		{"reversed group", "stable.example.com", "v1", "CronTab", "com.example.stable.v1.CronTab"},
		{"single label group", "example", "v1beta1", "Foo", "example.v1beta1.Foo"},
		{"k8s.io group", "snapshot.storage.k8s.io", "v1", "VolumeSnapshot", "io.k8s.storage.snapshot.v1.VolumeSnapshot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ModelName(tc.group, tc.version, tc.kind); got != tc.want {
				t.Errorf("ModelName = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCronTabDefinitions checks each rewrite of the published kind and list
// schemas, in both formats.
func TestCronTabDefinitions(t *testing.T) {
	built := map[Format]map[string]any{}
	for _, f := range []Format{V2, V3} {
		defs, err := Definitions(cronTab(t), "v1", f)
		if err != nil {
			t.Fatal(err)
		}
		built[f] = toJSON(t, map[string]any{kindName: defs[kindName].Schema, listName: defs[listName].Schema})
		if deps := defs[kindName].Dependencies; !reflect.DeepEqual(deps, []string{ObjectMetaName}) {
			t.Errorf("%v kind dependencies = %v", f, deps)
		}
	}
	spec := []string{kindName, "properties", "spec", "properties"}
	at := func(path ...string) []string { return append(append([]string(nil), spec...), path...) }
	tests := []struct {
		name   string
		format Format
		keys   []string
		want   any
	}{
		{"gvk", V3, []string{kindName, extGVK}, []any{map[string]any{"group": "stable.example.com", "version": "v1", "kind": "CronTab"}}},
		{"list gvk", V3, []string{listName, extGVK}, []any{map[string]any{"group": "stable.example.com", "version": "v1", "kind": "CronTabList"}}},
		{"metadata is ObjectMeta", V3, []string{kindName, "properties", "metadata", "$ref"}, "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
		{"metadata description", V3, []string{kindName, "properties", "metadata", "description"}, "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"},
		{"metadata schema of the CRD dropped", V3, []string{kindName, "properties", "metadata", "properties"}, nil},
		{"apiVersion", V3, []string{kindName, "properties", "apiVersion", "type"}, "string"},
		{"kind description", V3, []string{kindName, "properties", "kind", "description"}, "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"},
		{"root description", V3, []string{kindName, "description"}, "CronTab runs a command on a schedule."},
		{"required kept", V3, []string{kindName, "required"}, []any{"spec"}},
		{"int-or-string unfolded", V3, at("maxSurge", "anyOf"), []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}},
		{"nullable kept", V3, at("note", "nullable"), true},
		{"default kept", V3, at("image", "default"), "nginx"},
		{"integer default", V3, at("replicas", "default"), float64(1)},
		{"enum", V3, at("mode", "enum"), []any{"Fast", "Slow"}},
		{"pattern", V3, at("cronSpec", "pattern"), `^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$`},
		{"CEL rules", V3, append(spec[:len(spec)-1:len(spec)-1], "x-kubernetes-validations"), []any{map[string]any{"rule": "self.replicas <= 10", "message": "too many"}}},
		{"list map keys", V3, at("ports", "x-kubernetes-list-map-keys"), []any{"name"}},
		{"list type", V3, at("ports", "x-kubernetes-list-type"), "map"},
		{"map type", V3, at("selector", "x-kubernetes-map-type"), "atomic"},
		{"additional properties", V3, at("selector", "additionalProperties", "type"), "string"},
		{"embedded metadata", V3, at("template", "properties", "metadata", "$ref"), "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
		{"embedded apiVersion description", V3, at("template", "properties", "apiVersion", "description"), embeddedAPIVersionDescription},
		{"embedded required", V3, at("template", "required"), []any{"kind", "apiVersion"}},
		{"oneOf kept", V3, at("choice", "oneOf"), []any{map[string]any{"required": []any{"a"}}, map[string]any{"required": []any{"b"}}}},
		{"selectable fields", V3, []string{kindName, extSelectableFields}, []any{map[string]any{"fieldPath": "spec.image"}}},
		{"list items", V3, []string{listName, "properties", "items", "items", "$ref"}, "#/components/schemas/" + kindName},
		{"list description", V3, []string{listName, "description"}, "CronTabList is a list of CronTab"},
		{"list items description", V3, []string{listName, "properties", "items", "description"}, "List of crontabs. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md"},
		{"list metadata", V3, []string{listName, "properties", "metadata", "$ref"}, "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"},
		{"list required", V3, []string{listName, "required"}, []any{"items"}},

		{"v2 metadata", V2, []string{kindName, "properties", "metadata", "$ref"}, "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
		{"v2 list items", V2, []string{listName, "properties", "items", "items", "$ref"}, "#/definitions/" + kindName},
		{"v2 int-or-string has no anyOf", V2, at("maxSurge", "anyOf"), nil},
		{"v2 int-or-string keeps the extension", V2, at("maxSurge", "x-kubernetes-int-or-string"), true},
		{"v2 nullable is untyped", V2, at("note", "type"), nil},
		{"v2 nullable dropped", V2, at("note", "nullable"), nil},
		{"v2 oneOf dropped", V2, at("choice", "oneOf"), nil},
		{"v2 preserved object untyped", V2, at("extra", "type"), nil},
		{"v2 preserved object has no properties", V2, at("extra", "properties"), nil},
		{"v2 embedded preserved object left alone", V2, at("template", "properties"), nil},
		{"v2 embedded preserved object not required", V2, at("template", "required"), nil},
		{"v2 keeps pattern", V2, at("cronSpec", "pattern"), `^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$`},
		{"v2 keeps typed arrays", V2, at("ports", "type"), "array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := lookup(built[tc.format], tc.keys...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v = %#v, want %#v", tc.keys, got, tc.want)
			}
		})
	}
}

// TestSchemaShapes covers schemas that change the kind's shape as a whole.
func TestSchemaShapes(t *testing.T) {
	tests := []struct {
		name   string
		schema string // "" means the version has no schema
		format Format
		keys   []string
		want   any
	}{
		{"no schema", "", V3, nil, map[string]any{"type": "object", extGVK: []any{map[string]any{"group": "stable.example.com", "version": "v1", "kind": "CronTab"}}}},
		{"v2 preserve unknown at the root", "{type: object, x-kubernetes-preserve-unknown-fields: true, properties: {spec: {type: string}}}", V2, []string{"properties"}, nil},
		{"v3 preserve unknown at the root", "{type: object, x-kubernetes-preserve-unknown-fields: true, properties: {spec: {type: string}}}", V3, []string{"properties", "spec", "type"}, "string"},
		{"items array is not structural", "{type: object, properties: {a: {type: array, items: [{type: string}]}}}", V3, []string{"properties"}, nil},
		{"$ref is not structural", "{type: object, properties: {a: {$ref: '#/x'}}}", V3, []string{"properties"}, nil},
		{"invalid type is not structural", "{type: object, properties: {a: {type: date}}}", V3, []string{"properties"}, nil},
		{"v2 nullable field not required", "{type: object, required: [a, b], properties: {a: {type: string, nullable: true}, b: {type: string}}}", V2, []string{"required"}, []any{"b"}},
		{"v2 nullable map values clear required", "{type: object, required: [a], additionalProperties: {type: string, nullable: true}}", V2, []string{"required"}, nil},
		{"v2 array without items untyped", "{type: object, properties: {a: {type: array, x-kubernetes-preserve-unknown-fields: true, items: {type: string}}}}", V2, []string{"properties", "a", "type"}, nil},
		{"int-or-string with anyOf goes to allOf", "{type: object, properties: {a: {x-kubernetes-int-or-string: true, anyOf: [{maximum: 3}]}}}", V3,
			[]string{"properties", "a", "allOf"}, []any{map[string]any{"anyOf": []any{map[string]any{"type": "integer"}, map[string]any{"type": "string"}}}}},
		{"int-or-string already spelled out", "{type: object, properties: {a: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}}}", V3,
			[]string{"properties", "a", "allOf"}, nil},
		{"nested additionalProperties dropped", "{type: object, properties: {a: {type: object, additionalProperties: {type: string}, anyOf: [{additionalProperties: {maxLength: 1}}]}}}", V3,
			[]string{"properties", "a", "anyOf"}, []any{map[string]any{}}},
		{"embedded resource keeps its own required", "{type: object, properties: {a: {type: object, x-kubernetes-embedded-resource: true, required: [kind], properties: {kind: {type: string}}}}}", V3,
			[]string{"properties", "a", "required"}, []any{"kind", "apiVersion"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			crd := cronTab(t)
			crd.Spec.Versions[0].SelectableFields = nil
			if tc.schema == "" {
				crd.Spec.Versions[0].Schema = nil
			} else {
				crd = crdWithSchema(t, tc.schema)
				crd.Spec.Versions[0].SelectableFields = nil
			}
			defs, err := Definitions(crd, "v1", tc.format)
			if err != nil {
				t.Fatal(err)
			}
			got := lookup(toJSON(t, defs[kindName].Schema), tc.keys...)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v = %#v, want %#v", tc.keys, got, tc.want)
			}
		})
	}
}

func TestDefinitionsErrors(t *testing.T) {
	tests := []struct {
		name    string
		crd     func(*apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.CustomResourceDefinition
		version string
	}{
		{"nil CRD", func(*apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.CustomResourceDefinition { return nil }, "v1"},
		{"unknown version", func(c *apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.CustomResourceDefinition { return c }, "v2"},
		{"no list kind", func(c *apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.CustomResourceDefinition {
			c.Spec.Names.ListKind = ""
			return c
		}, "v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Definitions(tc.crd(cronTab(t)), tc.version, V3); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestDefinitionsDoNotModifyTheCRD builds every format and compares the CRD.
func TestDefinitionsDoNotModifyTheCRD(t *testing.T) {
	crd := cronTab(t)
	before := crd.DeepCopy()
	for _, f := range []Format{V2, V3} {
		if _, err := Definitions(crd, "v1", f); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := SSADefinitions(crd, "v1"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, crd) {
		t.Error("the CRD was modified")
	}
}

// TestGolden compares the CronTab definitions with testdata; run with -update to
// rewrite them.
func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		format Format
	}{
		{"v2", "crontab_v2_definitions.json", V2},
		{"v3", "crontab_v3_definitions.json", V3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defs, err := Definitions(cronTab(t), "v1", tc.format)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(map[string]any{kindName: defs[kindName].Schema, listName: defs[listName].Schema}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if string(got) != string(want) {
				t.Errorf("definitions differ from %s; run go test -run TestGolden -update and review the diff", path)
			}
		})
	}
}
