package celrules

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/internal/request"
)

func TestValidate(t *testing.T) {
	const meta = `"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}`
	obj := func(spec string) string { return `{` + meta + `,"spec":` + spec + `}` }
	tests := []struct {
		name     string
		spec     string // schema of spec
		obj, old string // spec values; old "" means create
		want     []string
	}{
		{name: "passing rule", spec: `{"type":"object","properties":{"a":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.a > 0"}]}`,
			obj: `{"a":1}`},
		{name: "failing rule with message", spec: `{"type":"object","properties":{"a":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.a > 0","message":"a must be positive"}]}`,
			obj: `{"a":0}`, want: []string{"spec: Invalid value: a must be positive"}},
		{name: "failing rule without message", spec: `{"type":"object","properties":{"s":{"type":"string","x-kubernetes-validations":[{"rule":"self.size() > 3"}]}}}`,
			obj: `{"s":"ab"}`, want: []string{`spec.s: Invalid value: "ab": failed rule: self.size() > 3`}},
		{name: "messageExpression", spec: `{"type":"object","properties":{"a":{"type":"integer"},"n":{"type":"string","maxLength":10}},"x-kubernetes-validations":[{"rule":"self.a > 0","messageExpression":"'a of ' + self.n + ' must be positive'"}]}`,
			obj: `{"a":-2,"n":"w"}`, want: []string{"spec: Invalid value: a of w must be positive"}},
		{name: "messageExpression failing falls back to message", spec: `{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"}},"x-kubernetes-validations":[{"rule":"self.a > 0","message":"fallback","messageExpression":"self.b"}]}`,
			obj: `{"a":0}`, want: []string{"spec: Invalid value: fallback"}},
		{name: "messageExpression empty falls back", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"self == 'x'","messageExpression":"' '"}]}`,
			obj: `"y"`, want: []string{`spec: Invalid value: "y": failed rule: self == 'x'`}},
		{name: "reason Forbidden", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"self != 'x'","message":"no x","reason":"FieldValueForbidden"}]}`,
			obj: `"x"`, want: []string{"spec: Forbidden: no x"}},
		{name: "reason Required", spec: `{"type":"object","properties":{"a":{"type":"string"}},"x-kubernetes-validations":[{"rule":"has(self.a)","message":"a is needed","reason":"FieldValueRequired"}]}`,
			obj: `{}`, want: []string{"spec: Required value: a is needed"}},
		{name: "reason Duplicate", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"self != 'x'","reason":"FieldValueDuplicate"}]}`,
			obj: `"x"`, want: []string{`spec: Duplicate value: "x"`}},
		{name: "reason Invalid", spec: `{"type":"string","x-kubernetes-validations":[{"rule":"self != 'x'","message":"m","reason":"FieldValueInvalid"}]}`,
			obj: `"x"`, want: []string{`spec: Invalid value: "x": m`}},
		{name: "fieldPath", spec: `{"type":"object","properties":{"a":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.a > 0","message":"m","fieldPath":".a"}]}`,
			obj: `{"a":0}`, want: []string{"spec.a: Invalid value: m"}},
		{name: "fieldPath to a map key", spec: `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string"}}},"x-kubernetes-validations":[{"rule":"false","message":"m","fieldPath":".m['k']"}]}`,
			obj: `{"m":{}}`, want: []string{"spec.m[k]: Invalid value: m"}},
		{name: "transition rule skipped on create", spec: `{"type":"object","properties":{"a":{"type":"integer","x-kubernetes-validations":[{"rule":"self >= oldSelf","message":"no decrease"}]}}}`,
			obj: `{"a":1}`},
		{name: "transition rule on update", spec: `{"type":"object","properties":{"a":{"type":"integer","x-kubernetes-validations":[{"rule":"self >= oldSelf","message":"no decrease"}]}}}`,
			obj: `{"a":1}`, old: `{"a":2}`, want: []string{"spec.a: Invalid value: 1: no decrease"}},
		{name: "transition rule skipped for a new field", spec: `{"type":"object","properties":{"a":{"type":"integer","x-kubernetes-validations":[{"rule":"self >= oldSelf"}]}}}`,
			obj: `{"a":1}`, old: `{}`},
		{name: "optionalOldSelf runs on create", spec: `{"type":"object","properties":{"a":{"type":"integer","x-kubernetes-validations":[{"rule":"oldSelf.hasValue() ? self >= oldSelf.value() : self == 0","message":"start at 0","optionalOldSelf":true}]}}}`,
			obj: `{"a":3}`, want: []string{"spec.a: Invalid value: 3: start at 0"}},
		{name: "optionalOldSelf on update", spec: `{"type":"object","properties":{"a":{"type":"integer","x-kubernetes-validations":[{"rule":"oldSelf.hasValue() ? self >= oldSelf.value() : self == 0","message":"no decrease","optionalOldSelf":true}]}}}`,
			obj: `{"a":3}`, old: `{"a":4}`, want: []string{"spec.a: Invalid value: 3: no decrease"}},
		{name: "set equality ignores order", spec: `{"type":"object","properties":{"s":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"},"x-kubernetes-validations":[{"rule":"self == oldSelf","message":"immutable"}]}}}`,
			obj: `{"s":["a","b"]}`, old: `{"s":["b","a"]}`},
		{name: "atomic list equality is ordered", spec: `{"type":"object","properties":{"s":{"type":"array","items":{"type":"string"},"x-kubernetes-validations":[{"rule":"self == oldSelf","message":"immutable"}]}}}`,
			obj: `{"s":["a","b"]}`, old: `{"s":["b","a"]}`, want: []string{"spec.s: Invalid value: immutable"}},
		{name: "map list items correlate by key", spec: `{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],"items":{"type":"object","required":["k"],"properties":{"k":{"type":"string"},"v":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.v >= oldSelf.v","message":"no decrease"}]}}}}`,
			obj: `{"l":[{"k":"b","v":1},{"k":"a","v":5}]}`, old: `{"l":[{"k":"a","v":4},{"k":"b","v":2}]}`, want: []string{"spec.l[0]: Invalid value: no decrease"}},
		{name: "map list union", spec: `{"type":"object","properties":{"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],"items":{"type":"object","required":["k"],"properties":{"k":{"type":"string"},"v":{"type":"integer"}}}}},"x-kubernetes-validations":[{"rule":"(self.l + [self.l[0]]).size() == self.l.size()"}]}`,
			obj: `{"l":[{"k":"a","v":1},{"k":"b","v":2}]}`},
		{name: "list functions", spec: `{"type":"object","properties":{"l":{"type":"array","maxItems":100,"items":{"type":"integer"}}},"x-kubernetes-validations":[{"rule":"self.l.all(x, x > 0) && self.l.exists(x, x == 2) && 3 in self.l && self.l.map(x, x * 2)[0] == 2"}]}`,
			obj: `{"l":[1,2,3]}`},
		{name: "map values", spec: `{"type":"object","properties":{"m":{"type":"object","additionalProperties":{"type":"string","x-kubernetes-validations":[{"rule":"self.startsWith('v')"}]},"x-kubernetes-validations":[{"rule":"self.all(k, k.size() < 3)","message":"short keys"}]}}}`,
			obj: `{"m":{"a":"v1","long":"x"}}`, want: []string{"spec.m: Invalid value: short keys", `spec.m[long]: Invalid value: "x": failed rule: self.startsWith('v')`}},
		{name: "int-or-string int", spec: `{"type":"object","properties":{"p":{"x-kubernetes-int-or-string":true,"x-kubernetes-validations":[{"rule":"type(self) == int ? self < 10 : self.endsWith('%')","message":"bad"}]}}}`,
			obj: `{"p":12}`, want: []string{"spec.p: Invalid value: 12: bad"}},
		{name: "int-or-string string", spec: `{"type":"object","properties":{"p":{"x-kubernetes-int-or-string":true,"x-kubernetes-validations":[{"rule":"type(self) == int ? self < 10 : self.endsWith('%')","message":"bad"}]}}}`,
			obj: `{"p":"50%"}`},
		{name: "duration and date-time formats", spec: `{"type":"object","properties":{"d":{"type":"string","format":"duration"},"t":{"type":"string","format":"date-time"},"day":{"type":"string","format":"date"}},"x-kubernetes-validations":[{"rule":"self.d > duration('1s') && self.t < timestamp('2030-01-01T00:00:00Z') && self.day.getFullYear() == 2024"}]}`,
			obj: `{"d":"1m","t":"2024-01-02T03:04:05Z","day":"2024-05-06"}`},
		{name: "number holds ints as doubles", spec: `{"type":"object","properties":{"n":{"type":"number"}},"x-kubernetes-validations":[{"rule":"self.n > 1.5"}]}`,
			obj: `{"n":2}`},
		{name: "root sees metadata", spec: `{"type":"object"}`, obj: `{}`},
		{name: "missing key is a runtime error", spec: `{"type":"object","properties":{"a":{"type":"string"}},"x-kubernetes-validations":[{"rule":"self.a == 'x'"}]}`,
			obj: `{}`, want: []string{`spec: Invalid value: "object": no such key: a evaluating rule: self.a == 'x'`}},
		{name: "division by zero", spec: `{"type":"object","properties":{"a":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"1 / self.a == 1","message":"m"}]}`,
			obj: `{"a":0}`, want: []string{`spec: Invalid value: "object": division by zero evaluating rule: m`}},
		{name: "null values are not validated", spec: `{"type":"object","properties":{"a":{"type":"string","nullable":true,"x-kubernetes-validations":[{"rule":"self == 'x'"}]}}}`,
			obj: `{"a":null}`},
		{name: "embedded resource", spec: `{"type":"object","properties":{"tpl":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true,"x-kubernetes-validations":[{"rule":"self.kind == 'Pod'","message":"pods only"}]}}}`,
			obj: `{"tpl":{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}}`, want: []string{"spec.tpl: Invalid value: pods only"}},
		{name: "escaped names", spec: `{"type":"object","properties":{"foo-bar":{"type":"string"},"namespace":{"type":"string"}},"x-kubernetes-validations":[{"rule":"self.foo__dash__bar == self.__namespace__","message":"differ"}]}`,
			obj: `{"foo-bar":"a","namespace":"b"}`, want: []string{"spec: Invalid value: differ"}},
		{name: "several rules in order", spec: `{"type":"object","properties":{"a":{"type":"integer"}},"x-kubernetes-validations":[{"rule":"self.a > 5","message":"one"},{"rule":"self.a > 0"},{"rule":"self.a < 0","message":"three"}]}`,
			obj: `{"a":1}`, want: []string{"spec: Invalid value: one", "spec: Invalid value: three"}},
		{name: "kubernetes library", spec: `{"type":"object","properties":{"q":{"type":"string"},"u":{"type":"string"}},"x-kubernetes-validations":[{"rule":"quantity(self.q).isLessThan(quantity('1Gi')) && url(self.u).getHost() == 'x.io' && self.q.matches('^[0-9]+Mi$')"}]}`,
			obj: `{"q":"512Mi","u":"https://x.io/p"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := crSchema(tc.spec)
			if tc.name == "root sees metadata" {
				root = `{"type":"object","x-kubernetes-validations":[{"rule":"self.metadata.name == 'w' && self.kind == 'Widget'"}],"properties":{"spec":{"type":"object"}}}`
			}
			v := mustCompile(t, root)
			var old map[string]any
			if tc.old != "" {
				old = mustObject(t, obj(tc.old))
			}
			got := errStrings(v.Validate(context.Background(), mustObject(t, obj(tc.obj)), old))
			if !slices.Equal(got, tc.want) && (len(got) > 0 || len(tc.want) > 0) {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// bigStrings builds a resource whose spec.items hold count objects with a string
// of n bytes.
func bigStrings(count, n int) map[string]any {
	str := strings.Repeat("a", n)
	items := make([]any, count)
	for i := range items {
		items[i] = map[string]any{"s": str}
	}
	return map[string]any{"apiVersion": "a/v1", "kind": "K", "metadata": map[string]any{"name": "x"}, "spec": map[string]any{"items": items}}
}

func TestValidateCostLimits(t *testing.T) {
	// contains costs len(s)/10 * len(needle)/10: 500k per MiB with this needle.
	rule := "!self.s.contains('" + strings.Repeat("b", 50) + "')"
	itemSchema := `{"type":"object","properties":{"items":{"type":"array","items":{"type":"object","properties":{"s":{"type":"string"}},"x-kubernetes-validations":[{"rule":"` + rule + `"}]}}}}`
	tests := []struct {
		name     string
		obj      map[string]any
		wantLast string // suffix of the last error; "" for no errors
	}{
		{name: "per-call limit", obj: bigStrings(1, 4<<20),
			wantLast: `spec.items[0]: Invalid value: "object": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: ` + rule},
		{name: "runtime budget", obj: bigStrings(40, 1<<20),
			wantLast: `: Invalid value: "object": validation failed due to running out of cost budget, no further validation rules will be run`},
		{name: "within budget", obj: bigStrings(3, 1000)},
	}
	// The estimated cost is over the CRD limits: stored CRDs still run their rules.
	v, errs := Compile(mustSchema(t, crSchema(itemSchema)), schemaPath)
	if len(errs) == 0 {
		t.Fatal("expected estimated cost errors for unbounded strings in an unbounded list")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := errStrings(v.Validate(context.Background(), tc.obj, nil))
			if tc.wantLast == "" {
				if len(got) > 0 {
					t.Fatalf("unexpected errors %q", got)
				}
				return
			}
			if len(got) == 0 || !strings.HasSuffix(got[len(got)-1], tc.wantLast) {
				t.Fatalf("got %q, want last to end with %q", got, tc.wantLast)
			}
		})
	}
}

func TestValidateRatcheting(t *testing.T) {
	schema := crSchema(`{"type":"object","properties":{"a":{"type":"string","x-kubernetes-validations":[{"rule":"self.size() < 3","message":"too long"}]},"b":{"type":"integer"},"l":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],"items":{"type":"object","properties":{"k":{"type":"string"},"v":{"type":"string","x-kubernetes-validations":[{"rule":"self != 'bad'"}]}}}}}}`)
	v := mustCompile(t, schema)
	mk := func(spec string) map[string]any {
		return mustObject(t, `{"apiVersion":"a/v1","kind":"K","metadata":{"name":"x"},"spec":`+spec+`}`)
	}
	tests := []struct {
		name, obj, old string
		wantErrs       int
		wantWarnings   int
	}{
		{name: "create is not ratcheted", obj: `{"a":"long"}`, wantErrs: 1},
		{name: "unchanged invalid value warns", obj: `{"a":"long","b":2}`, old: `{"a":"long","b":1}`, wantWarnings: 1},
		{name: "changed invalid value fails", obj: `{"a":"longer"}`, old: `{"a":"long"}`, wantErrs: 1},
		{name: "reordered map list is unchanged", obj: `{"l":[{"k":"2","v":"ok"},{"k":"1","v":"bad"}]}`, old: `{"l":[{"k":"1","v":"bad"},{"k":"2","v":"ok"}]}`, wantWarnings: 1},
		{name: "new map list element fails", obj: `{"l":[{"k":"3","v":"bad"}]}`, old: `{"l":[{"k":"1","v":"bad"}]}`, wantErrs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var warnings []string
			ctx := request.WithWarningSink(context.Background(), func(msg string) { warnings = append(warnings, msg) })
			var old map[string]any
			if tc.old != "" {
				old = mk(tc.old)
			}
			errs := v.Validate(ctx, mk(tc.obj), old)
			if len(errs) != tc.wantErrs || len(warnings) != tc.wantWarnings {
				t.Fatalf("got errors %q warnings %q; want %d errors, %d warnings", errStrings(errs), warnings, tc.wantErrs, tc.wantWarnings)
			}
		})
	}
}

func TestValidateConcurrent(t *testing.T) {
	v := mustCompile(t, crSchema(`{"type":"object","properties":{"a":{"type":"integer","x-kubernetes-validations":[{"rule":"self < 10"}]}}}`))
	done := make(chan result, 8)
	for i := range 8 {
		go func() {
			errs := v.Validate(context.Background(), map[string]any{"spec": map[string]any{"a": int64(i * 2)}}, nil)
			done <- result{i: i, n: len(errs)}
		}()
	}
	for range 8 {
		r := <-done
		if want := map[bool]int{true: 1, false: 0}[r.i*2 >= 10]; r.n != want {
			t.Errorf("goroutine %d: %d errors, want %d", r.i, r.n, want)
		}
	}
}

type result struct{ i, n int }
