package celenv

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// objectVal is the value of an Object{...} or Object.<path>{...} initializer.
// It behaves as the CEL map of its fields (so expressions can read them back)
// but remembers the type name it was built under: an ApplyConfiguration's
// initializers are checked against the field path they sit at, as upstream.
type objectVal struct {
	traits.Mapper
	typeName string
	fields   map[string]ref.Val
}

func newObjectVal(adapter types.Adapter, typeName string, fields map[string]ref.Val) *objectVal {
	m := make(map[ref.Val]ref.Val, len(fields))
	for k, v := range fields {
		m[types.String(k)] = v
	}
	return &objectVal{Mapper: types.NewRefValMap(adapter, m), typeName: typeName, fields: fields}
}

// The result types mutation expressions are compiled against.
var (
	applyConfigurationType = types.NewObjectType("Object")
	jsonPatchListType      = cel.ListType(types.NewObjectType("JSONPatch"))
)

// resultTypeError is upstream's compile-time refusal of an expression whose
// type is not the one its patch type needs. Its text carries no "compilation
// failed" prefix, as upstream's does not.
type resultTypeError struct{ want, got *cel.Type }

func (e *resultTypeError) Error() string {
	return fmt.Sprintf("must evaluate to %v but got %v", e.want, e.got)
}

func (e *resultTypeError) Is(target error) bool { return target == ErrCompile }

// CompileApplyConfiguration compiles an ApplyConfiguration expression, which
// must evaluate to Object (an initializer such as Object.spec{...} at the root
// is refused here, as upstream refuses it when compiling).
func CompileApplyConfiguration(expr string) (*Program, error) {
	return compileMutationAs(expr, applyConfigurationType)
}

// CompileJSONPatch compiles a JSONPatch expression, which must evaluate to a
// list of JSONPatch.
func CompileJSONPatch(expr string) (*Program, error) {
	return compileMutationAs(expr, jsonPatchListType)
}

// compileMutationAs compiles expr and checks its type against want. A dyn
// result passes: kapi types variables as dyn where upstream knows their
// types, so the value's type is checked when it is evaluated instead.
func compileMutationAs(expr string, want *cel.Type) (*Program, error) {
	env, err := MutationEnv()
	if err != nil {
		return nil, err
	}
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%w: %v", ErrCompile, iss.Err())
	}
	if out := checked.OutputType(); !out.IsExactType(want) && out.Kind() != types.DynKind {
		return nil, &resultTypeError{want: want, got: out}
	}
	prg, err := env.Program(checked, cel.CostLimit(PerCallLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCompile, err)
	}
	return &Program{Expression: expr, prg: prg}, nil
}

// ApplyConfiguration returns the fields of an ApplyConfiguration expression's
// result. The result must be an Object initializer, and every initializer
// nested in it must be named after its field path from the root
// (Object{spec: Object.spec{template: Object.spec.template{...}}}); lists and
// plain maps in between add nothing to the path. Upstream checks this when the
// expression runs, since initializers carry no schema to check at compile time.
func ApplyConfiguration(v ref.Val) (map[string]any, error) {
	if e, ok := v.(*types.Err); ok {
		return nil, e
	}
	root, ok := v.(*objectVal)
	if !ok {
		return nil, fmt.Errorf("unsupported return type from ApplyConfiguration expression: %v", v.Type())
	}
	if errs := typeNameErrors(root, []string{applyConfigurationType.TypeName()}); len(errs) > 0 {
		return nil, fmt.Errorf("type mismatch: %w", errors.Join(errs...))
	}
	native, err := Native(root)
	if err != nil {
		return nil, err
	}
	out, ok := native.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("invalid return type: %T", native)
	}
	return out, nil
}

// typeNameErrors checks the initializers in v against path, the type name
// the field path leading to v calls for. Fields are visited in name order so
// that the errors read the same on every run.
func typeNameErrors(v ref.Val, path []string) []error {
	var errs []error
	if ov, ok := v.(*objectVal); ok {
		if want := strings.Join(path, "."); ov.typeName != want {
			errs = append(errs, fmt.Errorf("unexpected type name %q, expected %q, which matches field name path from root Object type", ov.typeName, want))
		}
		names := make([]string, 0, len(ov.fields))
		for name := range ov.fields {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			errs = append(errs, typeNameErrors(ov.fields[name], append(path[:len(path):len(path)], name))...)
		}
		return errs
	}
	// Like upstream, only list and map values that hold CEL values (literals
	// and comprehension results) are looked into.
	switch x := v.Value().(type) {
	case []ref.Val:
		for _, item := range x {
			errs = append(errs, typeNameErrors(item, path)...)
		}
	case map[ref.Val]ref.Val:
		keys := make([]ref.Val, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i].Value()) < fmt.Sprint(keys[j].Value()) })
		for _, k := range keys {
			errs = append(errs, typeNameErrors(x[k], path)...)
		}
	}
	return errs
}
