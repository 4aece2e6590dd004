package celrules

import (
	"strconv"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	const sp = "spec.versions[0].schema.openAPIV3Schema.properties[spec]"
	tests := []struct {
		name string
		spec string
		// want are substrings, one per expected error, in order.
		want []string
	}{
		{name: "valid rule", spec: `{"type":"object","x-kubernetes-validations":[{"rule":"self.a > 0"}],"properties":{"a":{"type":"integer"}}}`},
		{name: "undefined field", spec: `{"type":"object","x-kubernetes-validations":[{"rule":"self.foo == 1"}],"properties":{"a":{"type":"integer"}}}`,
			want: []string{sp + ".x-kubernetes-validations[0].rule: Invalid value: ", "compilation failed: ERROR: <input>:1:5: undefined field 'foo'"}},
		{name: "not a bool", spec: `{"type":"object","x-kubernetes-validations":[{"rule":"self.a"}],"properties":{"a":{"type":"integer"}}}`,
			want: []string{sp + ".x-kubernetes-validations[0].rule: Invalid value: ", ": cel expression must evaluate to a bool"}},
		{name: "syntax error", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"self ==="}]}`,
			want: []string{"compilation failed: ERROR: <input>:1:"}},
		{name: "messageExpression not a string", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"self == 'a'","messageExpression":"1"}]}`,
			want: []string{sp + ".x-kubernetes-validations[0].messageExpression: Invalid value: ", "messageExpression must evaluate to a string"}},
		{name: "messageExpression does not compile", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"self == 'a'","messageExpression":"self.nope"}]}`,
			want: []string{"messageExpression compilation failed: ERROR: <input>:1:"}},
		{name: "empty rule", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"  "}]}`,
			want: []string{sp + ".x-kubernetes-validations[0].rule: Required value: rule is not specified"}},
		{name: "blank message", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"true","message":" "}]}`,
			want: []string{sp + `.x-kubernetes-validations[0].message: Invalid value: " ": must be non-empty if specified`}},
		{name: "multi-line rule needs a message", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"true &&\ntrue"}]}`,
			want: []string{sp + ".x-kubernetes-validations[0].message: Required value: message must be specified if rule contains line breaks"}},
		{name: "blank messageExpression", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"true","messageExpression":" "}]}`,
			want: []string{sp + ".x-kubernetes-validations[0].messageExpression: Required value: messageExpression must be non-empty if specified"}},
		{name: "unknown reason", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"true","reason":"FieldValueBad"}]}`,
			want: []string{sp + `.x-kubernetes-validations[0].reason: Unsupported value: "FieldValueBad": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"`}},
		{name: "fieldPath to a missing field", spec: `{"type":"object","properties":{"a":{"type":"string"}},"x-kubernetes-validations":[{"rule":"true","fieldPath":".b"}]}`,
			want: []string{sp + `.x-kubernetes-validations[0].fieldPath: Invalid value: ".b": must be a valid path`}},
		{name: "fieldPath into a map", spec: `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string"}}},"x-kubernetes-validations":[{"rule":"true","fieldPath":".m['k.x']"}]}`},
		{name: "oldSelf on atomic list items", spec: `{"type":"object","properties":{"list":{"type":"array","maxItems":10,"items":{"type":"string","maxLength":10,"x-kubernetes-validations":[{"rule":"self == oldSelf"}]}}}}`,
			want: []string{sp + `.properties[list].items.x-kubernetes-validations[0].rule: Invalid value: "self == oldSelf": oldSelf cannot be used on the uncorrelatable portion of the schema within ` + sp + ".properties[list]"}},
		{name: "oldSelf on map list items", spec: `{"type":"object","properties":{"list":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],"items":{"type":"object","required":["k"],"properties":{"k":{"type":"string"}},"x-kubernetes-validations":[{"rule":"self == oldSelf"}]}}}}`},
		{name: "optionalOldSelf without oldSelf", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"self == 'a'","optionalOldSelf":true}]}`,
			want: []string{sp + ".x-kubernetes-validations[0].optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule"}},
		{name: "optionalOldSelf with oldSelf", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"!oldSelf.hasValue() || self == oldSelf.value()","optionalOldSelf":true}]}`},
		{name: "rule cost over the per-expression limit", spec: `{"type":"array","items":{"type":"string"},"x-kubernetes-validations":[{"rule":"self.all(x, self.all(y, x == y))"}]}`,
			want: []string{sp + ".x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"}},
		{name: "bounded sizes keep the cost down", spec: `{"type":"array","maxItems":10,"items":{"type":"string","maxLength":10},"x-kubernetes-validations":[{"rule":"self.all(x, self.all(y, x == y))"}]}`},
		{name: "cardinality multiplies the cost", spec: `{"type":"array","items":{"type":"string","x-kubernetes-validations":[{"rule":"self.matches('^a+$')"}]}}`,
			want: []string{sp + ".items.x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x"}},
		{name: "escaped and reserved property names", spec: `{"type":"object","properties":{"foo-bar":{"type":"string"},"namespace":{"type":"string"},"a.b":{"type":"string"},"x__y":{"type":"string"}},"x-kubernetes-validations":[{"rule":"self.foo__dash__bar == self.__namespace__ && self.a__dot__b == self.x__underscores__y"}]}`},
		{name: "embedded resource has type and object meta", spec: `{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true,"x-kubernetes-validations":[{"rule":"self.kind == 'Pod' && self.metadata.name != ''"}]}`},
		{name: "untyped preserved field is not visible", spec: `{"type":"object","properties":{"x":{"x-kubernetes-preserve-unknown-fields":true}},"x-kubernetes-validations":[{"rule":"has(self.x)"}]}`,
			want: []string{"undefined field 'x'"}},
		{name: "errors at several rules", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"self.nope"},{"rule":"self == 'a'"},{"rule":"1"}]}`,
			want: []string{".x-kubernetes-validations[0].rule", ".x-kubernetes-validations[2].rule"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, errs := Compile(mustSchema(t, crSchema(tc.spec)), schemaPath)
			if v == nil {
				t.Fatal("a schema with rules must give a validator")
			}
			got := errStrings(errs)
			if len(tc.want) == 0 {
				if len(got) > 0 {
					t.Fatalf("unexpected errors: %q", got)
				}
				return
			}
			joined := strings.Join(got, "\n")
			for _, w := range tc.want {
				if !strings.Contains(joined, w) {
					t.Errorf("missing %q in:\n%s", w, joined)
				}
			}
		})
	}
}

func TestCompileWithoutRules(t *testing.T) {
	tests := []struct {
		name   string
		schema string
	}{
		{name: "empty", schema: `{}`},
		{name: "nested without rules", schema: crSchema(`{"type":"object","properties":{"a":{"type":"array","items":{"type":"string"}}}}`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, errs := Compile(mustSchema(t, tc.schema), schemaPath)
			if v != nil || errs != nil {
				t.Fatalf("got %v, %v; want nil, nil", v, errs)
			}
			if got := v.Validate(t.Context(), map[string]any{"a": 1}, nil); got != nil {
				t.Fatalf("nil validator returned %v", got)
			}
		})
	}
	if v, errs := Compile(nil, schemaPath); v != nil || errs != nil {
		t.Fatal("nil schema must give nothing")
	}
}

func TestCompileTotalCost(t *testing.T) {
	// Each rule stays under the per-expression limit; 45 of them do not.
	props := []string{}
	for i := range 45 {
		props = append(props, `"f`+strconv.Itoa(i)+`":{"type":"array","maxItems":6000,"items":{"type":"string","maxLength":1000},"x-kubernetes-validations":[{"rule":"self.all(x, x.startsWith('a') && x.endsWith('b') && x.contains('c'))"}]}`)
	}
	spec := `{"type":"object","properties":{` + strings.Join(props, ",") + `}}`
	_, errs := Compile(mustSchema(t, crSchema(spec)), schemaPath)
	got := strings.Join(errStrings(errs), "\n")
	if strings.Contains(got, "estimated rule cost exceeds budget") {
		t.Fatalf("a single rule exceeded its limit:\n%s", got)
	}
	want := "spec.versions[0].schema.openAPIV3Schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of"
	if !strings.Contains(got, want) {
		t.Fatalf("missing %q in:\n%s", want, got)
	}
	if n := strings.Count(got, "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"); n != 4 {
		t.Fatalf("want the 4 most expensive rules named, got %d:\n%s", n, got)
	}
}

func TestCostErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		cost uint64
		want string
	}{
		{name: "just over", cost: 11000000, want: "x exceeds budget by factor of 1.100000x"},
		{name: "a few times", cost: 25000000, want: "x exceeds budget by factor of 2.5x"},
		{name: "way over", cost: 2000000000, want: "x exceeds budget by factor of more than 100x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := costErrorMessage("x", tc.cost, StaticEstimatedCostLimit); !strings.HasPrefix(got, tc.want+" (try simplifying") {
				t.Fatalf("got %q", got)
			}
		})
	}
}
