package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var schemaPath = field.NewPath("spec", "versions").Index(0).Child("schema", "openAPIV3Schema")

const p = "spec.versions[0].schema.openAPIV3Schema"

func TestValidateStructural(t *testing.T) {
	cases := []struct {
		name   string
		schema string
		want   []string
	}{
		{"valid", `
type: object
properties:
  metadata: {type: object, properties: {name: {type: string, maxLength: 5}}}
  spec:
    type: object
    properties:
      ios: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
      free: {x-kubernetes-preserve-unknown-fields: true}
      emb: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
      list: {type: array, items: {type: string}}
    allOf:
    - properties: {ios: {maxLength: 3}}
`, nil},
		{"empty root type", `properties: {a: {type: string}}`, []string{
			p + ".type: Required value: must not be empty at the root",
		}},
		{"root must be object", `type: integer`, []string{
			p + `.type: Invalid value: "integer": must be object at the root`,
		}},
		{"additionalProperties at root", "type: object\nadditionalProperties: false", []string{
			p + ".additionalProperties: Forbidden: must not be used at the root",
		}},
		{"missing types below", `
type: object
properties:
  foo: {properties: {a: {}}}
  bar: {type: array, items: {additionalProperties: {items: {}}}}
  slice: {type: array}
`, []string{
			p + ".properties[bar].items.additionalProperties.items.type: Required value: must not be empty for specified array items",
			p + ".properties[bar].items.additionalProperties.type: Required value: must not be empty for specified object fields",
			p + ".properties[bar].items.type: Required value: must not be empty for specified array items",
			p + ".properties[foo].properties[a].type: Required value: must not be empty for specified object fields",
			p + ".properties[foo].type: Required value: must not be empty for specified object fields",
			p + ".properties[slice].items: Required value: must be specified",
		}},
		{"forbidden in nested value validation", `
type: object
properties:
  foo:
    type: string
not:
  type: string
  additionalProperties: true
  title: hello
  description: world
  nullable: true
allOf:
- properties:
    foo:
      type: string
      additionalProperties: true
      title: hello
      description: world
      nullable: true
anyOf:
- items:
    type: string
    additionalProperties: true
`, []string{
			p + ".allOf[0].properties[foo].additionalProperties: Forbidden: must be undefined to be structural",
			p + ".allOf[0].properties[foo].description: Forbidden: must be empty to be structural",
			p + ".allOf[0].properties[foo].nullable: Forbidden: must be false to be structural",
			p + ".allOf[0].properties[foo].title: Forbidden: must be empty to be structural",
			p + ".allOf[0].properties[foo].type: Forbidden: must be empty to be structural",
			p + ".anyOf[0].items.additionalProperties: Forbidden: must be undefined to be structural",
			p + ".anyOf[0].items.type: Forbidden: must be empty to be structural",
			p + ".items: Required value: because it is defined in " + p + ".anyOf[0].items",
			p + ".not.additionalProperties: Forbidden: must be undefined to be structural",
			p + ".not.description: Forbidden: must be empty to be structural",
			p + ".not.nullable: Forbidden: must be false to be structural",
			p + ".not.title: Forbidden: must be empty to be structural",
			p + ".not.type: Forbidden: must be empty to be structural",
		}},
		{"structural incomplete", `
type: object
properties:
  b: {type: object, properties: {b: {type: array, items: {type: string}}}}
  c: {type: array, items: {type: object}}
  d: {type: array, items: {type: string}}
not:
  properties:
    a: {}
    b:
      not:
        properties:
          a: {}
allOf:
- properties:
    e: {}
oneOf:
- properties:
    g: {}
`, []string{
			p + ".properties[a]: Required value: because it is defined in " + p + ".not.properties[a]",
			p + ".properties[b].properties[a]: Required value: because it is defined in " + p + ".not.properties[b].not.properties[a]",
			p + ".properties[e]: Required value: because it is defined in " + p + ".allOf[0].properties[e]",
			p + ".properties[g]: Required value: because it is defined in " + p + ".oneOf[0].properties[g]",
		}},
		{"extensions in nested context", `
type: object
properties: {a: {type: string}}
allOf:
- x-kubernetes-preserve-unknown-fields: true
  x-kubernetes-embedded-resource: true
  x-kubernetes-int-or-string: true
  x-kubernetes-list-type: set
  x-kubernetes-list-map-keys: [a]
  x-kubernetes-map-type: atomic
  x-kubernetes-validations: [{rule: "true"}]
  default: 1
  properties: {metadata: {}}
`, []string{
			p + ".allOf[0].default: Forbidden: must be undefined to be structural",
			p + ".allOf[0].properties[metadata]: Forbidden: must not be specified in a nested context",
			p + ".allOf[0].x-kubernetes-embedded-resource: Forbidden: must be false to be structural",
			p + ".allOf[0].x-kubernetes-int-or-string: Forbidden: must be false to be structural",
			p + ".allOf[0].x-kubernetes-list-map-keys: Forbidden: must be empty to be structural",
			p + ".allOf[0].x-kubernetes-list-type: Forbidden: must be undefined to be structural",
			p + ".allOf[0].x-kubernetes-map-type: Forbidden: must be undefined to be structural",
			p + ".allOf[0].x-kubernetes-preserve-unknown-fields: Forbidden: must be false to be structural",
			p + ".allOf[0].x-kubernetes-validations: Forbidden: must be empty to be structural",
			p + ".properties[metadata]: Required value: because it is defined in " + p + ".allOf[0].properties[metadata]",
		}},
		{"int-or-string rules", `
type: object
properties:
  a: {x-kubernetes-int-or-string: true, x-kubernetes-preserve-unknown-fields: true}
  b: {type: object, x-kubernetes-int-or-string: true, x-kubernetes-embedded-resource: true, properties: {kind: {type: string}}}
  c: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: boolean}]}
`, []string{
			p + ".properties[a].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true",
			p + ".properties[b].x-kubernetes-embedded-resource: Invalid value: true: must be false if x-kubernetes-int-or-string is true",
			p + ".properties[c].anyOf[0].type: Forbidden: must be empty to be structural",
			p + ".properties[c].anyOf[1].type: Forbidden: must be empty to be structural",
		}},
		{"embedded resource rules", `
type: object
properties:
  a: {x-kubernetes-embedded-resource: true}
  b: {type: string, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
  c: {type: object, x-kubernetes-embedded-resource: true, additionalProperties: {type: string}}
  d:
    type: object
    x-kubernetes-embedded-resource: true
    properties:
      kind: {type: integer}
      apiVersion: {type: string}
      metadata: {type: string}
`, []string{
			p + ".properties[a].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
			p + ".properties[a].type: Required value: must be object if x-kubernetes-embedded-resource is true",
			p + ".properties[b].type: Invalid value: \"string\": must be object if x-kubernetes-embedded-resource is true",
			p + ".properties[c].additionalProperties: Forbidden: must not be used if x-kubernetes-embedded-resource is set",
			p + ".properties[c].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
			p + ".properties[d].properties[kind].type: Invalid value: \"integer\": must be string",
			p + ".properties[d].properties[metadata].type: Invalid value: \"string\": must be object",
		}},
		{"metadata only name and generateName", `
type: object
properties:
  metadata:
    type: object
    properties:
      name: {type: string}
      labels: {type: object}
`, []string{
			p + ".properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
		}},
		{"metadata with value validation", `
type: object
properties:
  metadata: {type: object, maxProperties: 2}
`, []string{
			p + ".properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
		}},
		{"bad pattern", `
type: object
properties:
  foo: {type: string, pattern: "+"}
`, []string{
			p + ".properties[foo].pattern: Invalid value: \"+\": must be a valid regular expression, but isn't: error parsing regexp: missing argument to repetition operator: `+`",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(ValidateStructural(props(t, tc.schema), schemaPath))
			if diff := cmp.Diff(sorted(tc.want), got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStructuralInitError(t *testing.T) {
	cases := []struct{ name, schema, want string }{
		{"fine", "type: object", ""},
		{"ref", "type: object\nproperties: {a: {$ref: '#/x'}}", "OpenAPIV3Schema '$ref' is not supported"},
		{"patternProperties", "type: object\npatternProperties: {a: {type: string}}", "OpenAPIV3Schema 'patternProperties' is not supported"},
		{"items array", "type: object\nproperties: {a: {type: array, items: [{type: string}]}}", "OpenAPIV3Schema 'items' must be a schema, but is an array"},
		{"nested definitions", "type: object\nallOf: [{definitions: {a: {}}}]", "OpenAPIV3Schema 'definitions' is not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if err := StructuralInitError(props(t, tc.schema)); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateDefaults(t *testing.T) {
	cases := []struct {
		name   string
		schema string
		want   []string
	}{
		{"valid defaults", `
type: object
properties:
  spec:
    type: object
    default: {a: 1}
    properties:
      a: {type: integer, default: 2, minimum: 1}
      list: {type: array, default: [x], items: {type: string}}
`, nil},
		{"default of wrong type", `
type: object
properties:
  spec: {type: object, properties: {a: {type: integer, default: "x"}}}
`, []string{
			p + `.properties[spec].properties[a].default: Invalid value: "string":  in body must be of type integer: "string"`,
		}},
		{"default violating value validation", `
type: object
properties:
  spec: {type: object, properties: {a: {type: integer, maximum: 3, default: 5}}}
`, []string{
			p + `.properties[spec].properties[a].default: Invalid value: 5:  in body should be less than or equal to 3`,
		}},
		{"unpruned default", `
type: object
properties:
  spec: {type: object, default: {a: 1, b: 2}, properties: {a: {type: integer}}}
`, []string{
			p + `.properties[spec].default: Invalid value: {"a":1,"b":2}: must not have unknown fields`,
		}},
		{"default inside metadata must be valid metadata", `
type: object
properties:
  metadata:
    type: object
    properties:
      name: {type: string, default: "a/b"}
`, []string{
			p + `.properties[metadata].properties[name].default: Invalid value: "a/b": must result in valid metadata: metadata.name: Invalid value: "a/b": may not contain '/'`,
		}},
		{"embedded default must carry type meta", `
type: object
properties:
  spec:
    type: object
    properties:
      emb:
        type: object
        x-kubernetes-embedded-resource: true
        x-kubernetes-preserve-unknown-fields: true
        default: {foo: 1}
`, []string{
			p + `.properties[spec].properties[emb].default.apiVersion: Required value`,
			p + `.properties[spec].properties[emb].default.kind: Required value`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(ValidateDefaults(props(t, tc.schema), schemaPath))
			if diff := cmp.Diff(sorted(tc.want), got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHasUnprunedDefaults(t *testing.T) {
	cases := []struct {
		name   string
		schema string
		want   bool
	}{
		{"pruned", "type: object\nproperties: {spec: {type: object, default: {a: 1}, properties: {a: {type: integer}}}}", false},
		{"unpruned", "type: object\nproperties: {spec: {type: object, default: {a: 1, z: 2}, properties: {a: {type: integer}}}}", true},
		{"none", "type: object", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := HasUnprunedDefaults(props(t, tc.schema)); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
