package celenv

import (
	"errors"
	"fmt"
	"testing"
)

// TestApplyConfigurationTypeNames checks upstream's rules for the type names of
// Object initializers: the result must be Object when compiled, and each nested
// initializer must be named after its field path when evaluated.
func TestApplyConfigurationTypeNames(t *testing.T) {
	act := &Activation{Object: map[string]any{"metadata": map[string]any{"name": "web"}},
		Variables: map[string]any{"plain": map[string]any{"spec": map[string]any{}}}}
	cases := []struct {
		name       string
		expr       string
		want       string // the fields, printed, when the expression is accepted
		compileErr string
		evalErr    string
	}{
		{name: "names matching their field paths",
			expr: `Object{spec: Object.spec{template: Object.spec.template{metadata: Object.spec.template.metadata{labels: {"app": object.metadata.name}}}}}`,
			want: "map[spec:map[template:map[metadata:map[labels:map[app:web]]]]]"},
		{name: "list items are named after the list's field",
			expr: `Object{spec: Object.spec{containers: [Object.spec.containers{name: "a", env: [Object.spec.containers.env{name: "X"}]}]}}`,
			want: "map[spec:map[containers:[map[env:[map[name:X]] name:a]]]]"},
		{name: "items of a comprehension are checked like literal items",
			expr: `Object{spec: Object.spec{containers: ["a", "b"].map(n, Object.spec.containers{name: n})}}`,
			want: "map[spec:map[containers:[map[name:a] map[name:b]]]]"},
		{name: "fields without initializers need no names",
			expr: `Object{metadata: {"labels": {"a": "b"}}}`,
			want: "map[metadata:map[labels:map[a:b]]]"},
		{name: "a wrong field name in the type is refused",
			expr:    `Object{spec: Object.specx{replicas: 1}}`,
			evalErr: `type mismatch: unexpected type name "Object.specx", expected "Object.spec", which matches field name path from root Object type`},
		{name: "a list item named after the wrong field is refused",
			expr:    `Object{spec: Object.spec{containers: [Object.spec.initContainers{name: "a"}]}}`,
			evalErr: `type mismatch: unexpected type name "Object.spec.initContainers", expected "Object.spec.containers", which matches field name path from root Object type`},
		{name: "an initializer one level too shallow is refused",
			expr:    `Object{spec: Object.spec{selector: Object.selector{}}}`,
			evalErr: `type mismatch: unexpected type name "Object.selector", expected "Object.spec.selector", which matches field name path from root Object type`},
		{name: "a plain map's values take the map's field path",
			expr:    `Object{metadata: Object.metadata{labels: {"a": Object.metadata.labels.a{}}}}`,
			evalErr: `type mismatch: unexpected type name "Object.metadata.labels.a", expected "Object.metadata.labels", which matches field name path from root Object type`},
		{name: "every mismatch is reported, in field order",
			expr: `Object{spec: Object.specx{}, metadata: Object.meta{}}`,
			evalErr: "type mismatch: unexpected type name \"Object.meta\", expected \"Object.metadata\", which matches field name path from root Object type\n" +
				"unexpected type name \"Object.specx\", expected \"Object.spec\", which matches field name path from root Object type"},
		{name: "a nested initializer at the root is refused when compiled",
			expr:       `Object.spec.metadata{}`,
			compileErr: "must evaluate to Object but got Object.spec.metadata"},
		{name: "a string is refused when compiled",
			expr:       `"I'm a teapot!"`,
			compileErr: "must evaluate to Object but got string"},
		{name: "a plain map is refused when compiled",
			expr:       `{"spec": {}}`,
			compileErr: "must evaluate to Object but got map(string, map(dyn, dyn))"},
		{name: "a dyn result that is not an Object is refused when run",
			expr:    `variables.plain`,
			evalErr: "unsupported return type from ApplyConfiguration expression: map(dyn, dyn)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prg, err := CompileApplyConfiguration(tc.expr)
			if tc.compileErr != "" {
				if err == nil || err.Error() != tc.compileErr || !errors.Is(err, ErrCompile) {
					t.Fatalf("compile error = %v, want %q (ErrCompile)", err, tc.compileErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out, err := prg.Eval(act)
			if err != nil {
				t.Fatal(err)
			}
			fields, err := ApplyConfiguration(out)
			if tc.evalErr != "" {
				if err == nil || err.Error() != tc.evalErr {
					t.Fatalf("error = %v, want %q", err, tc.evalErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(fields); got != tc.want {
				t.Errorf("fields = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestJSONPatchResultType checks that a JSONPatch expression must evaluate to a
// list of JSONPatch, and that Object values inside a patch stay plain values.
func TestJSONPatchResultType(t *testing.T) {
	cases := []struct {
		name       string
		expr       string
		want       string
		compileErr string
	}{
		{name: "a list of patches",
			expr: `[JSONPatch{op: "add", path: "/spec", value: Object.spec{replicas: 1}}]`,
			want: "[map[op:add path:/spec value:map[replicas:1]]]"},
		{name: "a dyn result is left to the run",
			expr: `variables.patches`,
			want: "[map[op:remove path:/a]]"},
		{name: "a single patch is refused",
			expr:       `JSONPatch{op: "remove", path: "/a"}`,
			compileErr: "must evaluate to list(JSONPatch) but got JSONPatch"},
		{name: "an apply configuration is refused",
			expr:       `Object{}`,
			compileErr: "must evaluate to list(JSONPatch) but got Object"},
	}
	act := &Activation{Variables: map[string]any{"patches": []any{map[string]any{"op": "remove", "path": "/a"}}}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prg, err := CompileJSONPatch(tc.expr)
			if tc.compileErr != "" {
				if err == nil || err.Error() != tc.compileErr {
					t.Fatalf("compile error = %v, want %q", err, tc.compileErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			out, err := prg.Eval(act)
			if err != nil {
				t.Fatal(err)
			}
			native, err := Native(out)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(native); got != tc.want {
				t.Errorf("patches = %s, want %s", got, tc.want)
			}
		})
	}
}
