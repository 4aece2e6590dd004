package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const listSchema = `
type: object
properties:
  spec:
    type: object
    properties:
      tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}
      objs: {type: array, x-kubernetes-list-type: set, items: {type: object, x-kubernetes-map-type: atomic, properties: {a: {type: integer}}}}
      ports:
        type: array
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [port]
        items:
          type: object
          properties:
            port: {type: integer}
            name: {type: string, maxLength: 3}
      pairs:
        type: array
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [port, protocol]
        items:
          type: object
          properties:
            port: {type: integer}
            protocol: {type: string}
      template:
        type: object
        x-kubernetes-embedded-resource: true
        x-kubernetes-preserve-unknown-fields: true
`

func TestValidateListsAndEmbedded(t *testing.T) {
	s := New(props(t, listSchema))
	cases := []struct {
		name string
		obj  string
		want []string
	}{
		{"unique set", `{"spec":{"tags":["a","b"]}}`, nil},
		{"duplicate set scalar", `{"spec":{"tags":["a","b","a","a"]}}`,
			[]string{`spec.tags[2]: Duplicate value: "a"`}},
		{"duplicate set object", `{"spec":{"objs":[{"a":1},{"a":1}]}}`,
			[]string{`spec.objs[1]: Duplicate value: {"a":1}`}},
		{"duplicate map key", `{"spec":{"ports":[{"port":80,"name":"a"},{"port":80,"name":"b"}]}}`,
			[]string{`spec.ports[1]: Duplicate value: {"port":80}`}},
		{"missing map key twice", `{"spec":{"ports":[{"name":"a"},{"name":"b"}]}}`,
			[]string{`spec.ports[1]: Duplicate value: {}`}},
		{"map list non-object", `{"spec":{"ports":[{"port":1},"x"]}}`, []string{
			`spec.ports[1]: Invalid value: "string": spec.ports[1] in body must be of type object: "string"`,
			`spec.ports[1]: Invalid value: "x": must be an object for an array of list-type map`,
		}},
		{"duplicate composite key", `{"spec":{"pairs":[{"port":80,"protocol":"TCP"},{"port":80,"protocol":"UDP"},{"port":80,"protocol":"TCP"}]}}`,
			[]string{`spec.pairs[2]: Duplicate value: {"port":80,"protocol":"TCP"}`}},
		{"embedded ok", `{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"x":1}}}`, nil},
		{"embedded missing type meta", `{"spec":{"template":{}}}`, []string{
			`spec.template.apiVersion: Required value`,
			`spec.template.kind: Required value`,
		}},
		{"embedded bad type meta", `{"spec":{"template":{"apiVersion":"a/b/c","kind":"no_pe"}}}`, []string{
			`spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c`,
			`spec.template.kind: Invalid value: "no_pe": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
		}},
		{"embedded empty type meta", `{"spec":{"template":{"apiVersion":"","kind":""}}}`, []string{
			`spec.template.apiVersion: Invalid value: "": must not be empty`,
			`spec.template.kind: Invalid value: "": must not be empty`,
		}},
		{"embedded bad metadata", `{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a/b","labels":{"-x":"y"}}}}}`, []string{
			`spec.template.metadata.labels: Invalid value: "-x": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
			`spec.template.metadata.name: Invalid value: "a/b": may not contain '/'`,
		}},
		{"embedded wrongly typed metadata", `{"spec":{"template":{"apiVersion":"v1","kind":"Pod","metadata":{"name":1}}}}`, []string{
			`spec.template.metadata: Invalid value: {"name":1}: json: cannot unmarshal number into Go struct field ObjectMeta.name of type string`,
		}},
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

func TestValidateUpdateRatcheting(t *testing.T) {
	s := New(props(t, `
type: object
properties:
  spec:
    type: object
    properties:
      name: {type: string, maxLength: 3}
      other: {type: string, maxLength: 3}
      tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}
      ports:
        type: array
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [port]
        items:
          type: object
          properties:
            port: {type: integer}
            name: {type: string, maxLength: 3}
      atomic: {type: array, items: {type: string, maxLength: 1}}
`))
	cases := []struct {
		name     string
		old, obj string
		want     []string
	}{
		{"unchanged invalid field is ratcheted", `{"spec":{"name":"toolong"}}`, `{"spec":{"name":"toolong","other":"ok"}}`, nil},
		{"changed invalid field is reported", `{"spec":{"name":"toolong"}}`, `{"spec":{"name":"stilltoolong"}}`,
			[]string{`spec.name: Too long: may not be more than 3 bytes`}},
		{"new invalid field is reported", `{"spec":{}}`, `{"spec":{"other":"toolong"}}`,
			[]string{`spec.other: Too long: may not be more than 3 bytes`}},
		{"map list item correlated by key after reorder", `{"spec":{"ports":[{"port":1,"name":"toolong"},{"port":2}]}}`,
			`{"spec":{"ports":[{"port":2},{"port":1,"name":"toolong"}]}}`, nil},
		{"map list item changed", `{"spec":{"ports":[{"port":1,"name":"toolong"}]}}`,
			`{"spec":{"ports":[{"port":1,"name":"toolonger"}]}}`,
			[]string{`spec.ports[0].name: Too long: may not be more than 3 bytes`}},
		{"atomic list unchanged", `{"spec":{"atomic":["ab"]}}`, `{"spec":{"atomic":["ab"],"other":"x"}}`, nil},
		{"atomic list changed reports every item", `{"spec":{"atomic":["ab"]}}`, `{"spec":{"atomic":["ab","c"]}}`,
			[]string{`spec.atomic[0]: Too long: may not be more than 1 byte`}},
		{"set duplicates already in old are tolerated", `{"spec":{"tags":["a","a"]}}`, `{"spec":{"tags":["a","a","b"]}}`, nil},
		{"set duplicates new", `{"spec":{"tags":["a"]}}`, `{"spec":{"tags":["a","a"]}}`,
			[]string{`spec.tags[1]: Duplicate value: "a"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(s.ValidateUpdate(object(t, tc.obj), object(t, tc.old)))
			if diff := cmp.Diff(sorted(tc.want), got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateStatusUpdate(t *testing.T) {
	s := New(props(t, `
type: object
properties:
  spec: {type: object, properties: {a: {type: integer}}}
  status: {type: object, properties: {num: {type: integer, maximum: 10}}}
`))
	cases := []struct {
		name     string
		old, obj string
		want     []string
	}{
		{"status invalid", `{}`, `{"status":{"num":15}}`,
			[]string{`status.num: Invalid value: 15: num in body should be less than or equal to 10`}},
		{"spec not validated", `{}`, `{"spec":{"a":"x"}}`, nil},
		{"status unchanged ratcheted", `{"status":{"num":15}}`, `{"status":{"num":15}}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(s.ValidateStatusUpdate(object(t, tc.obj), object(t, tc.old)))
			if diff := cmp.Diff(sorted(tc.want), got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
