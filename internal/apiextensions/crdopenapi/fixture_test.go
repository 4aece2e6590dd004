package crdopenapi

import (
	"encoding/json"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// cronTabSchema exercises every published rewrite: int-or-string, nullable,
// preserved unknown fields, embedded resources, list and map types, CEL rules,
// defaults, junctors and the unsupported-in-v2 keywords.
const cronTabSchema = `
type: object
description: CronTab runs a command on a schedule.
required: [spec]
properties:
  metadata:
    type: object
    properties:
      name: {type: string, maxLength: 20}
  spec:
    type: object
    required: [cronSpec, image]
    x-kubernetes-validations:
    - rule: self.replicas <= 10
      message: too many
    properties:
      cronSpec:
        type: string
        pattern: '^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'
      image: {type: string, default: nginx}
      replicas: {type: integer, format: int32, minimum: 1, default: 1}
      maxSurge: {x-kubernetes-int-or-string: true}
      note: {type: string, nullable: true}
      mode: {type: string, enum: [Fast, Slow]}
      selector:
        type: object
        additionalProperties: {type: string}
        x-kubernetes-map-type: atomic
      ports:
        type: array
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [name]
        items:
          type: object
          required: [name]
          properties:
            name: {type: string}
            port: {type: integer}
      template:
        type: object
        x-kubernetes-embedded-resource: true
        x-kubernetes-preserve-unknown-fields: true
      extra:
        type: object
        x-kubernetes-preserve-unknown-fields: true
        properties:
          known: {type: string}
      choice:
        type: object
        properties:
          a: {type: string}
          b: {type: string}
        oneOf:
        - required: [a]
        - required: [b]
  status:
    type: object
    properties:
      replicas: {type: integer}
      labelSelector: {type: string}
`

func cronTab(t testing.TB) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	var schema apiextensionsv1.JSONSchemaProps
	if err := yaml.Unmarshal([]byte(cronTabSchema), &schema); err != nil {
		t.Fatal(err)
	}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "crontabs.stable.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "stable.example.com",
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Plural: "crontabs", Singular: "crontab", Kind: "CronTab", ListKind: "CronTabList",
			},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema:           &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &schema},
				SelectableFields: []apiextensionsv1.SelectableField{{JSONPath: ".spec.image"}},
				Subresources: &apiextensionsv1.CustomResourceSubresources{
					Status: &apiextensionsv1.CustomResourceSubresourceStatus{},
					Scale: &apiextensionsv1.CustomResourceSubresourceScale{
						SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas",
					},
				},
			}},
		},
	}
}

// crdWithSchema is a one-version CRD whose schema is the given YAML.
func crdWithSchema(t testing.TB, schemaYAML string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	crd := cronTab(t)
	var schema apiextensionsv1.JSONSchemaProps
	if err := yaml.Unmarshal([]byte(schemaYAML), &schema); err != nil {
		t.Fatal(err)
	}
	crd.Spec.Versions[0].Schema.OpenAPIV3Schema = &schema
	return crd
}

// toJSON round-trips v through JSON so tests compare what is served.
func toJSON(t testing.TB, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// lookup follows keys through nested objects; nil when a key is missing.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}
