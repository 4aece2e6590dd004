package schema

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

const fuzzSchema = `
type: object
properties:
  metadata: {type: object, properties: {name: {type: string, maxLength: 20}}}
  spec:
    type: object
    default: {}
    required: [mode]
    properties:
      mode: {type: string, enum: [a, b], default: a}
      replicas: {type: integer, minimum: 0, default: 1}
      ios: {x-kubernetes-int-or-string: true}
      tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}
      ports:
        type: array
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [port, protocol]
        items:
          type: object
          default: {}
          properties:
            port: {type: integer}
            protocol: {type: string, default: TCP}
      labels: {type: object, additionalProperties: {type: string, nullable: true}}
      free: {type: object, x-kubernetes-preserve-unknown-fields: true}
      template:
        type: object
        x-kubernetes-embedded-resource: true
        x-kubernetes-preserve-unknown-fields: true
      choice:
        type: object
        properties: {x: {type: integer}, y: {type: integer}}
        oneOf: [{required: [x]}, {required: [y]}]
`

// FuzzPruneValidateDefault feeds arbitrary JSON objects through the whole
// custom-resource pipeline; nothing may panic.
func FuzzPruneValidateDefault(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x","labels":{"a":"b"}},"spec":{"mode":"a"}}`,
		`{"metadata":"nope","spec":[1,2]}`,
		`{"metadata":{"name":5,"annotations":[]},"spec":{"mode":null,"replicas":-1.5,"ios":{}}}`,
		`{"spec":{"tags":["a","a",1,null,{"x":1},{"x":1}],"ports":[null,{"port":1},{"port":1},"x",[]]}}`,
		`{"spec":{"labels":{"a":null,"b":1},"free":{"x":[{"y":null}]},"choice":{"x":1,"y":2}}}`,
		`{"spec":{"template":{"apiVersion":7,"kind":"","metadata":{"name":"a/b","generateName":[]}}}}`,
		`{"spec":{"template":{"metadata":{"labels":{"-":"-"}}},"ports":[{"port":1.5,"protocol":"UDP"}]}}`,
	} {
		f.Add([]byte(seed), []byte(`{"spec":{"tags":["a","a"],"ports":[{"port":1}]}}`))
	}
	s := New(props(f, fuzzSchema))
	f.Fuzz(func(t *testing.T, data, oldData []byte) {
		var obj, old map[string]any
		if utiljson.Unmarshal(data, &obj) != nil || obj == nil {
			return
		}
		if utiljson.Unmarshal(oldData, &old) != nil {
			old = nil
		}
		read := runtime.DeepCopyJSON(obj)
		CoerceMetadata(read, s, true)
		s.Prune(read)
		s.Default(read)

		s.Prune(obj)
		if errs := CoerceMetadata(obj, s, false); len(errs) > 0 {
			return
		}
		s.Default(obj)
		s.Validate(obj)
		s.ValidateUpdate(obj, old)
		s.ValidateUpdate(obj, runtime.DeepCopyJSON(obj))
		s.ValidateStatusUpdate(obj, old)
	})
}
