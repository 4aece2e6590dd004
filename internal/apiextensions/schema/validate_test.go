package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const specSchema = `
type: object
properties:
  metadata:
    type: object
    properties:
      name: {type: string, maxLength: 10, pattern: '^[a-z]+$'}
  spec:
    type: object
    required: [cronSpec]
    properties:
      replicas: {type: integer, minimum: 1, maximum: 10}
      exclusive: {type: number, minimum: 1, exclusiveMinimum: true, maximum: 5, exclusiveMaximum: true}
      step: {type: integer, multipleOf: 5}
      cronSpec: {type: string, pattern: '^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'}
      color: {type: string, enum: [red, green]}
      size: {type: integer, enum: [1, 2]}
      name: {type: string, minLength: 2, maxLength: 3}
      list: {type: array, minItems: 1, maxItems: 2, items: {type: string}}
      labels: {type: object, minProperties: 1, maxProperties: 2, additionalProperties: {type: string}}
      flag: {type: boolean}
      nullableStr: {type: string, nullable: true}
      plainStr: {type: string}
      ios: {x-kubernetes-int-or-string: true}
      email: {type: string, format: email}
      unknownFormat: {type: string, format: not-a-format}
      i32: {type: integer, format: int32}
      free: {type: object, x-kubernetes-preserve-unknown-fields: true}
      both:
        type: object
        properties:
          a: {type: integer}
          b: {type: integer}
        oneOf:
        - required: [a]
        - required: [b]
      any:
        type: string
        anyOf:
        - pattern: '^a'
        - pattern: 'z$'
      all:
        type: integer
        allOf:
        - minimum: 2
        - maximum: 4
      notFive:
        type: integer
        not: {enum: [5]}
`

func TestValidate(t *testing.T) {
	s := New(props(t, specSchema))
	cases := []struct {
		name string
		obj  string
		want []string
	}{
		{"valid", `{"metadata":{"name":"abc"},"spec":{"cronSpec":"* * * * *","replicas":3}}`, nil},
		{"missing required", `{"spec":{}}`, []string{`spec.cronSpec: Required value`}},
		{"missing spec is fine", `{}`, nil},
		{"wrong type", `{"spec":{"cronSpec":"* * * * *","replicas":"string"}}`,
			[]string{`spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`}},
		{"pattern", `{"spec":{"cronSpec":""}}`,
			[]string{`spec.cronSpec: Invalid value: "": spec.cronSpec in body should match '^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'`}},
		{"maximum", `{"spec":{"cronSpec":"* * * * *","replicas":20}}`,
			[]string{`spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10`}},
		{"minimum", `{"spec":{"cronSpec":"* * * * *","replicas":0}}`,
			[]string{`spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1`}},
		{"exclusive bounds", `{"spec":{"cronSpec":"* * * * *","exclusive":5}}`,
			[]string{`spec.exclusive: Invalid value: 5: spec.exclusive in body should be less than 5`}},
		{"exclusive minimum", `{"spec":{"cronSpec":"* * * * *","exclusive":1}}`,
			[]string{`spec.exclusive: Invalid value: 1: spec.exclusive in body should be greater than 1`}},
		{"multipleOf", `{"spec":{"cronSpec":"* * * * *","step":7}}`,
			[]string{`spec.step: Invalid value: 7: spec.step in body should be a multiple of 5`}},
		{"enum string", `{"spec":{"cronSpec":"* * * * *","color":"blue"}}`,
			[]string{`spec.color: Unsupported value: "blue": supported values: "red", "green"`}},
		{"enum integer", `{"spec":{"cronSpec":"* * * * *","size":3}}`,
			[]string{`spec.size: Unsupported value: 3: supported values: "1", "2"`}},
		{"maxLength", `{"spec":{"cronSpec":"* * * * *","name":"abcd"}}`,
			[]string{`spec.name: Too long: may not be more than 3 bytes`}},
		{"minLength", `{"spec":{"cronSpec":"* * * * *","name":"a"}}`,
			[]string{`spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long`}},
		{"maxItems", `{"spec":{"cronSpec":"* * * * *","list":["a","b","c"]}}`,
			[]string{`spec.list: Too many: 3: must have at most 2 items`}},
		{"minItems", `{"spec":{"cronSpec":"* * * * *","list":[]}}`,
			[]string{`spec.list: Invalid value: 0: spec.list in body should have at least 1 items`}},
		{"item type", `{"spec":{"cronSpec":"* * * * *","list":[1]}}`,
			[]string{`spec.list[0]: Invalid value: "integer": spec.list[0] in body must be of type string: "integer"`}},
		{"maxProperties", `{"spec":{"cronSpec":"* * * * *","labels":{"a":"1","b":"2","c":"3"}}}`,
			[]string{`spec.labels: Too many: 3: must have at most 2 items`}},
		{"minProperties", `{"spec":{"cronSpec":"* * * * *","labels":{}}}`,
			[]string{`spec.labels: Invalid value: 0: spec.labels in body should have at least 1 properties`}},
		{"additionalProperties value", `{"spec":{"cronSpec":"* * * * *","labels":{"a":1}}}`,
			[]string{`spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"`}},
		{"boolean", `{"spec":{"cronSpec":"* * * * *","flag":"yes"}}`,
			[]string{`spec.flag: Invalid value: "string": spec.flag in body must be of type boolean: "string"`}},
		{"nullable null", `{"spec":{"cronSpec":"* * * * *","nullableStr":null}}`, nil},
		{"non-nullable null", `{"spec":{"cronSpec":"* * * * *","plainStr":null}}`,
			[]string{`spec.plainStr: Invalid value: "null": spec.plainStr in body must be of type string: "null"`}},
		{"int-or-string int", `{"spec":{"cronSpec":"* * * * *","ios":1}}`, nil},
		{"int-or-string string", `{"spec":{"cronSpec":"* * * * *","ios":"50%"}}`, nil},
		{"int-or-string float", `{"spec":{"cronSpec":"* * * * *","ios":1.5}}`,
			[]string{`spec.ios: Invalid value: "number": spec.ios in body must be of type integer,string: "number"`}},
		{"format email", `{"spec":{"cronSpec":"* * * * *","email":"nope"}}`,
			[]string{`spec.email: Invalid value: "nope": spec.email in body must be of type email: "nope"`}},
		{"unsupported format ignored", `{"spec":{"cronSpec":"* * * * *","unknownFormat":"anything"}}`, nil},
		{"preserve unknown", `{"spec":{"cronSpec":"* * * * *","free":{"x":[1,{"y":2}]}}}`, nil},
		{"oneOf none", `{"spec":{"cronSpec":"* * * * *","both":{}}}`, []string{
			`<nil>: Invalid value: "": "spec.both" must validate one and only one schema (oneOf). Found none valid`,
			`spec.both.a: Required value`,
		}},
		{"oneOf both", `{"spec":{"cronSpec":"* * * * *","both":{"a":1,"b":2}}}`,
			[]string{`<nil>: Invalid value: "": "spec.both" must validate one and only one schema (oneOf). Found 2 valid alternatives`}},
		{"oneOf one", `{"spec":{"cronSpec":"* * * * *","both":{"a":1}}}`, nil},
		{"anyOf fail", `{"spec":{"cronSpec":"* * * * *","any":"mmm"}}`, []string{
			`<nil>: Invalid value: "": "spec.any" must validate at least one schema (anyOf)`,
			`spec.any: Invalid value: "mmm": spec.any in body should match '^a'`,
		}},
		{"anyOf pass", `{"spec":{"cronSpec":"* * * * *","any":"abc"}}`, nil},
		{"allOf", `{"spec":{"cronSpec":"* * * * *","all":5}}`,
			[]string{
				`<nil>: Invalid value: "": "spec.all" must validate all the schemas (allOf)`,
				`spec.all: Invalid value: 5: spec.all in body should be less than or equal to 4`,
			}},
		{"not", `{"spec":{"cronSpec":"* * * * *","notFive":5}}`,
			[]string{`<nil>: Invalid value: "": "spec.notFive" must not validate the schema (not)`}},
		{"metadata name pattern", `{"metadata":{"name":"ABC"}}`,
			[]string{`metadata.name: Invalid value: "ABC": metadata.name in body should match '^[a-z]+$'`}},
		{"metadata name length", `{"metadata":{"name":"abcdefghijkl"}}`,
			[]string{`metadata.name: Too long: may not be more than 10 bytes`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(s.Validate(object(t, tc.obj)))
			if diff := cmp.Diff(sorted(tc.want), got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
