package validation

import (
	"encoding/json"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// FuzzResolveFieldPath feeds selectableFields paths, which come from users,
// to the path resolver: it must never panic and must return a schema with
// every path it accepts.
func FuzzResolveFieldPath(f *testing.F) {
	for _, s := range []string{"", ".", ".spec.a", ".spec['a']", "spec", "]", "..", ".spec.", ".labels.x.y", "[", ".spec[0]"} {
		f.Add(s)
	}
	s := &apiextensions.JSONSchemaProps{Type: "object", Properties: map[string]apiextensions.JSONSchemaProps{
		"spec":   {Type: "object", Properties: map[string]apiextensions.JSONSchemaProps{"a": {Type: "string"}}},
		"labels": {Type: "object", AdditionalProperties: &apiextensions.JSONSchemaPropsOrBool{Allows: true}},
		"tags":   {Type: "object", AdditionalProperties: &apiextensions.JSONSchemaPropsOrBool{Schema: &apiextensions.JSONSchemaProps{Type: "string"}}},
	}}
	f.Fuzz(func(t *testing.T, path string) {
		p, found, err := resolveFieldPath(path, s)
		if err == nil && path != "" && (p == nil || found == nil) {
			t.Errorf("%q accepted without a path or schema", path)
		}
	})
}

// FuzzValidateCustomResourceDefinition decodes arbitrary JSON as a CRD and
// validates it on create and update: no input may panic.
func FuzzValidateCustomResourceDefinition(f *testing.F) {
	f.Add([]byte(`{"metadata":{"name":"foos.example.com"},"spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"foos","kind":"Foo"},"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"array","x-kubernetes-list-type":"map","items":{"type":"object"}}}}},"selectableFields":[{"jsonPath":".spec"}],"subresources":{"status":{},"scale":{"specReplicasPath":".spec.r","statusReplicasPath":""}}}],"conversion":{"strategy":"Webhook","webhook":{"clientConfig":{"url":"http://x"}}}}}`))
	f.Add([]byte(`{"spec":{"versions":[{"name":"v1","schema":{"openAPIV3Schema":{"x-kubernetes-validations":[{"rule":"self.a"}],"default":{"a":1},"items":[{}],"not":{"$ref":"#"}}}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if json.Unmarshal(data, crd) != nil {
			return
		}
		_ = ValidateCustomResourceDefinition(crd)
		_ = ValidateCustomResourceDefinitionUpdate(crd, crd.DeepCopy())
		_ = ValidateCustomResourceDefinitionStatus(crd, crd.DeepCopy())
	})
}
