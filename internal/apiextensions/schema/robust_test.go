package schema

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestOddSchemasDoNotPanic covers schemas CRD validation would reject but a
// stored CRD might still carry: they must degrade, never panic.
func TestOddSchemasDoNotPanic(t *testing.T) {
	cases := []struct{ name, schema string }{
		{"bad pattern", "type: object\nproperties: {a: {type: string, pattern: '+'}}"},
		{"ref", "type: object\nproperties: {a: {$ref: '#/definitions/x'}}"},
		{"items array", "type: object\nproperties: {a: {type: array, items: [{type: string}]}}"},
		{"list map without keys", "type: object\nproperties: {a: {type: array, x-kubernetes-list-type: map, items: {type: object}}}"},
		{"array without items", "type: object\nproperties: {a: {type: array, x-kubernetes-list-type: set}}"},
		{"preserve false", "type: object\nx-kubernetes-preserve-unknown-fields: false"},
	}
	obj := `{"metadata":{"name":"x"},"a":["x","x",{"k":1},{"k":1}]}`
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := New(props(t, tc.schema))
			o := object(t, obj)
			s.Prune(o)
			CoerceMetadata(o, s, false)
			s.Default(o)
			s.Validate(o)
			s.ValidateUpdate(o, object(t, obj))
			ValidateStructural(props(t, tc.schema), schemaPath)
			ValidateDefaults(props(t, tc.schema), schemaPath)
			_ = s.Err()
		})
	}
}

func TestBrokenSchemaReportsInternalError(t *testing.T) {
	s := New(props(t, "type: object\nproperties: {a: {$ref: '#/definitions/x'}}"))
	errs := s.Validate(object(t, `{}`))
	if len(errs) != 1 || errs[0].Type != field.ErrorTypeInternal {
		t.Fatalf("got %v, want one internal error", errs)
	}
	if s.Err() == nil {
		t.Fatal("Err() = nil for a schema with $ref")
	}
}
