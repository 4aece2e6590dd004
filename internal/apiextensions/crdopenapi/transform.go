package crdopenapi

import (
	"reflect"

	"k8s.io/kube-openapi/pkg/validation/spec"
)

// intOrStringAnyOf is what x-kubernetes-int-or-string means, spelled out so that
// readers who do not know the extension see both types.
func intOrStringAnyOf() []spec.Schema {
	return []spec.Schema{
		{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"integer"}}},
		{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"string"}}},
	}
}

// unfold adds anyOf [integer, string] to every x-kubernetes-int-or-string value
// that does not already say so (directly, or as the first allOf clause).
func unfold(root *spec.Schema) {
	want := intOrStringAnyOf()
	visitStructural(root, func(s *spec.Schema) {
		if !isTrue(s, extIntOrString) {
			return
		}
		if reflect.DeepEqual(s.AnyOf, want) {
			return
		}
		if len(s.AllOf) > 0 && reflect.DeepEqual(s.AllOf[0].AnyOf, want) {
			return
		}
		if s.AnyOf == nil {
			s.AnyOf = want
			return
		}
		clause := spec.Schema{SchemaProps: spec.SchemaProps{AnyOf: want}}
		s.AllOf = append([]spec.Schema{clause}, s.AllOf...)
	})
}

// toV2 rewrites a v3 schema into what OpenAPI v2 clients (kubectl explain and
// client-side validation) read correctly: no junctors, no nullable, and no type or
// nested fields on values that keep unknown fields or may be null, since kubectl
// would otherwise reject fields it does not know or a null.
func toV2(root *spec.Schema) {
	visitStructural(root, func(s *spec.Schema) {
		s.AllOf, s.AnyOf, s.OneOf, s.Not = nil, nil, nil, nil
		preserve := isPreserveUnknown(s)
		if s.Nullable {
			s.Type = nil
			s.Nullable = false
			s.Items = nil
			s.Properties = nil
		}
		if preserve {
			s.Items = nil
			s.Properties = nil
		}
		if s.Items == nil && s.Type.Contains("array") {
			s.Type = nil
		}
		if preserve && s.Type.Contains("object") {
			s.Type = nil
		}
		// A field that may be null cannot be required: v2 has no way to say null.
		for name, prop := range s.Properties {
			if prop.Nullable {
				s.Required = without(s.Required, name)
			}
		}
		if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil && s.AdditionalProperties.Schema.Nullable {
			s.Required = nil
		}
	})
}

// without returns list minus every x, nil when nothing is left.
func without(list []string, x string) []string {
	var out []string
	for _, v := range list {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}
