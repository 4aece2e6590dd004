package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const pruneSchema = `
type: object
properties:
  spec:
    type: object
    properties:
      a: {type: string}
      list:
        type: array
        items: {type: object, properties: {keep: {type: string}}}
      free:
        type: object
        x-kubernetes-preserve-unknown-fields: true
        properties:
          strict: {type: object, properties: {x: {type: integer}}}
      map: {type: object, additionalProperties: {type: object, properties: {v: {type: integer}}}}
      embedded:
        type: object
        x-kubernetes-embedded-resource: true
        properties:
          spec: {type: object, properties: {b: {type: integer}}}
      nullable: {type: string, nullable: true}
      notNullable: {type: string}
      defaulted: {type: string, default: "d"}
`

func TestPrune(t *testing.T) {
	s := New(props(t, pruneSchema))
	cases := []struct {
		name        string
		obj, want   string
		wantUnknown []string
	}{
		{"known fields kept, root type meta kept",
			`{"apiVersion":"a/v1","kind":"K","metadata":{"name":"n"},"spec":{"a":"x"}}`,
			`{"apiVersion":"a/v1","kind":"K","metadata":{"name":"n"},"spec":{"a":"x"}}`, nil},
		{"unknown fields removed with paths",
			`{"foo":1,"spec":{"a":"x","b":2,"list":[{"keep":"k","drop":1},{"drop":2}]}}`,
			`{"spec":{"a":"x","list":[{"keep":"k"},{}]}}`,
			[]string{"foo", "spec.b", "spec.list[0].drop", "spec.list[1].drop"}},
		{"preserve unknown fields keeps, prunes specified below",
			`{"spec":{"free":{"anything":{"deep":1},"strict":{"x":1,"y":2}}}}`,
			`{"spec":{"free":{"anything":{"deep":1},"strict":{"x":1}}}}`,
			[]string{"spec.free.strict.y"}},
		{"additionalProperties values pruned",
			`{"spec":{"map":{"k":{"v":1,"w":2}}}}`,
			`{"spec":{"map":{"k":{"v":1}}}}`,
			[]string{"spec.map.k.w"}},
		{"embedded resource keeps type meta",
			`{"spec":{"embedded":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"b":1,"c":2},"status":{}}}}`,
			`{"spec":{"embedded":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"b":1}}}}`,
			[]string{"spec.embedded.spec.c", "spec.embedded.status"}},
		{"nested type meta names are unknown below the root",
			`{"spec":{"kind":"x","metadata":{}}}`,
			`{"spec":{}}`,
			[]string{"spec.kind", "spec.metadata"}},
		{"null of non-nullable non-defaulted field dropped, others kept",
			`{"spec":{"nullable":null,"notNullable":null,"defaulted":null}}`,
			`{"spec":{"nullable":null,"defaulted":null}}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := object(t, tc.obj)
			unknown := s.Prune(obj)
			if diff := cmp.Diff(object(t, tc.want), obj); diff != "" {
				t.Errorf("object (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantUnknown, unknown); diff != "" {
				t.Errorf("unknown paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPruneWithoutSchemaKeepsEverything(t *testing.T) {
	obj := object(t, `{"spec":{"anything":[1,2]}}`)
	if unknown := New(nil).Prune(obj); unknown != nil {
		t.Errorf("unknown = %v, want none", unknown)
	}
	if diff := cmp.Diff(object(t, `{"spec":{"anything":[1,2]}}`), obj); diff != "" {
		t.Errorf("object changed:\n%s", diff)
	}
}

func TestDefault(t *testing.T) {
	s := New(props(t, `
type: object
properties:
  spec:
    type: object
    default: {}
    properties:
      replicas: {type: integer, default: 1}
      mode: {type: string, default: "auto"}
      nullableDefaulted: {type: string, nullable: true, default: "x"}
      obj:
        type: object
        default: {a: 1, unknown: 2}
        properties:
          a: {type: integer}
          b: {type: string, default: "bee"}
      items:
        type: array
        items:
          type: object
          default: {}
          properties:
            name: {type: string, default: "n"}
      byKey:
        type: object
        additionalProperties:
          type: object
          default: {}
          properties:
            v: {type: integer, default: 7}
`))
	cases := []struct{ name, obj, want string }{
		{"spec created and filled", `{}`,
			`{"spec":{"replicas":1,"mode":"auto","nullableDefaulted":"x","obj":{"a":1,"b":"bee"}}}`},
		{"set values kept", `{"spec":{"replicas":3,"mode":"m","nullableDefaulted":"y","obj":{"a":2,"b":"c"}}}`,
			`{"spec":{"replicas":3,"mode":"m","nullableDefaulted":"y","obj":{"a":2,"b":"c"}}}`},
		{"null non-nullable replaced, nullable kept", `{"spec":{"mode":null,"nullableDefaulted":null}}`,
			`{"spec":{"replicas":1,"mode":"auto","nullableDefaulted":null,"obj":{"a":1,"b":"bee"}}}`},
		{"list items and null items", `{"spec":{"items":[{},null,{"name":"x"}]}}`,
			`{"spec":{"replicas":1,"mode":"auto","nullableDefaulted":"x","obj":{"a":1,"b":"bee"},"items":[{"name":"n"},{"name":"n"},{"name":"x"}]}}`},
		{"additionalProperties values", `{"spec":{"byKey":{"a":{},"b":null}}}`,
			`{"spec":{"replicas":1,"mode":"auto","nullableDefaulted":"x","obj":{"a":1,"b":"bee"},"byKey":{"a":{"v":7},"b":{"v":7}}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := object(t, tc.obj)
			s.Default(obj)
			if diff := cmp.Diff(object(t, tc.want), obj); diff != "" {
				t.Errorf("object (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultsAreNotShared(t *testing.T) {
	s := New(props(t, `
type: object
properties:
  spec: {type: object, default: {list: [1]}, properties: {list: {type: array, items: {type: integer}}}}
`))
	first := object(t, `{}`)
	s.Default(first)
	first["spec"].(map[string]any)["list"].([]any)[0] = int64(99)
	second := object(t, `{}`)
	s.Default(second)
	if diff := cmp.Diff(object(t, `{"spec":{"list":[1]}}`), second); diff != "" {
		t.Errorf("default mutated through an earlier object:\n%s", diff)
	}
}

func TestCoerceMetadata(t *testing.T) {
	s := New(props(t, `
type: object
properties:
  spec:
    type: object
    properties:
      template:
        type: object
        x-kubernetes-embedded-resource: true
        x-kubernetes-preserve-unknown-fields: true
`))
	cases := []struct {
		name        string
		obj         string
		dropInvalid bool
		want        string
		wantErrs    []string
		wantUnknown []string
	}{
		{"unknown root metadata fields dropped",
			`{"metadata":{"name":"a","bogus":1},"spec":{}}`, false,
			`{"metadata":{"name":"a"},"spec":{}}`, nil, []string{"metadata.bogus"}},
		{"wrongly typed root metadata is an error on requests",
			`{"metadata":{"name":"a","labels":"x"}}`, false, "",
			[]string{`metadata: Invalid value: {"labels":"x","name":"a"}: json: cannot unmarshal string into Go struct field ObjectMeta.labels of type map[string]string`}, nil},
		{"wrongly typed root metadata dropped on reads",
			`{"metadata":{"name":"a","labels":"x"}}`, true,
			`{"metadata":{"name":"a"}}`, nil, nil},
		{"embedded metadata coerced",
			`{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","junk":true},"x":1}}}`, false,
			`{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"x":1}}}`, nil,
			[]string{"spec.template.metadata.junk"}},
		{"embedded kind must be a string",
			`{"spec":{"template":{"apiVersion":"v1","kind":1}}}`, false, "",
			[]string{`spec.template.kind: Invalid value: 1: must be a string`}, nil},
		{"embedded wrong kind dropped on reads",
			`{"spec":{"template":{"apiVersion":"v1","kind":1}}}`, true,
			`{"spec":{"template":{"apiVersion":"v1"}}}`, nil, nil},
		{"embedded bad metadata is an error",
			`{"spec":{"template":{"metadata":{"name":5}}}}`, false, "",
			[]string{`spec.template.metadata: Invalid value: {"name":5}: json: cannot unmarshal number into Go struct field ObjectMeta.name of type string`}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := object(t, tc.obj)
			errs, unknown := CoerceMetadataUnknown(obj, s, tc.dropInvalid)
			if diff := cmp.Diff(sorted(tc.wantErrs), messages(errs)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if len(errs) > 0 {
				return
			}
			if diff := cmp.Diff(object(t, tc.want), obj); diff != "" {
				t.Errorf("object (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantUnknown, unknown); diff != "" {
				t.Errorf("unknown (-want +got):\n%s", diff)
			}
		})
	}
}
