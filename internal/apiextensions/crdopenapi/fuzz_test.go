package crdopenapi

import (
	"encoding/json"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// FuzzDefinitions feeds arbitrary CRD schemas (user input stored by the API) to
// every builder: none may panic, and what they build must serialize.
func FuzzDefinitions(f *testing.F) {
	seeds := []string{
		`{"type":"object"}`,
		`{"type":"object","nullable":true,"properties":{"a":{"x-kubernetes-int-or-string":true,"anyOf":[{"maximum":1}]}}}`,
		`{"type":"object","x-kubernetes-preserve-unknown-fields":false}`,
		`{"type":"array","items":[{"type":"string"}]}`,
		`{"properties":{"a":{"x-kubernetes-embedded-resource":true,"additionalProperties":{"nullable":true}}},"required":["a"]}`,
		`{"not":{"items":{"properties":{"x":{"default":{"a":[1,2]}}}}},"enum":[null,1,"a"]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	if data, err := yaml.YAMLToJSON([]byte(cronTabSchema)); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var schema apiextensionsv1.JSONSchemaProps
		if err := json.Unmarshal(data, &schema); err != nil {
			return
		}
		crd := cronTab(t)
		crd.Spec.Versions[0].Schema.OpenAPIV3Schema = &schema
		for _, format := range []Format{V2, V3} {
			defs, err := Definitions(crd, "v1", format)
			if err != nil {
				t.Fatalf("Definitions: %v", err)
			}
			for name, d := range defs {
				if _, err := json.Marshal(d.Schema); err != nil {
					t.Errorf("%s does not serialize: %v", name, err)
				}
			}
		}
		if _, _, err := SSADefinitions(crd, "v1"); err != nil {
			t.Fatalf("SSADefinitions: %v", err)
		}
	})
}
