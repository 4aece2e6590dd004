package celenv

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// jsonPatchFields are the fields of a JSONPatch{...} value.
var jsonPatchFields = map[string]*types.Type{"op": types.StringType, "path": types.StringType, "from": types.StringType, "value": types.DynType}

// mutationProvider adds the types MutatingAdmissionPolicy expressions construct:
// JSONPatch{op, path, from, value} and Object{...} / Object.<field>{...} apply
// configurations, whose fields are untyped here. Both build maps; Object values
// also keep their type name (objectVal).
type mutationProvider struct {
	types.Provider
	adapter types.Adapter
}

func isObjectType(name string) bool { return name == "Object" || strings.HasPrefix(name, "Object.") }

func (p mutationProvider) FindStructType(name string) (*types.Type, bool) {
	if name == "JSONPatch" || isObjectType(name) {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Provider.FindStructType(name)
}

func (p mutationProvider) FindStructFieldNames(name string) ([]string, bool) {
	if name == "JSONPatch" {
		return []string{"op", "path", "from", "value"}, true
	}
	if isObjectType(name) {
		return nil, true
	}
	return p.Provider.FindStructFieldNames(name)
}

func (p mutationProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	noField := func(any) bool { return false }
	noGet := func(any) (any, error) { return nil, fmt.Errorf("no field %s", field) }
	if name == "JSONPatch" {
		t, ok := jsonPatchFields[field]
		if !ok {
			return nil, false
		}
		return &types.FieldType{Type: t, IsSet: noField, GetFrom: noGet}, true
	}
	if isObjectType(name) {
		return &types.FieldType{Type: types.DynType, IsSet: noField, GetFrom: noGet}, true
	}
	return p.Provider.FindStructFieldType(name, field)
}

func (p mutationProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if isObjectType(name) {
		return newObjectVal(p.adapter, name, fields)
	}
	if name == "JSONPatch" {
		m := make(map[ref.Val]ref.Val, len(fields))
		for k, v := range fields {
			m[types.String(k)] = v
		}
		return types.NewRefValMap(p.adapter, m)
	}
	return p.Provider.NewValue(name, fields)
}

var (
	mutationOnce sync.Once
	mutationEnv  *cel.Env
	mutationErr  error
)

// MutationEnv is Env with the JSONPatch and Object types and jsonpatch.escapeKey.
func MutationEnv() (*cel.Env, error) {
	mutationOnce.Do(func() {
		base, err := Env()
		if err != nil {
			mutationErr = err
			return
		}
		mutationEnv, mutationErr = base.Extend(
			cel.CustomTypeProvider(mutationProvider{Provider: base.CELTypeProvider(), adapter: base.CELTypeAdapter()}),
			cel.Function("jsonpatch.escapeKey", cel.Overload("jsonpatch_escapeKey_string", []*cel.Type{cel.StringType}, cel.StringType,
				cel.UnaryBinding(func(v ref.Val) ref.Val {
					s, ok := v.(types.String)
					if !ok {
						return types.NewErr("escapeKey takes a string")
					}
					return types.String(strings.ReplaceAll(strings.ReplaceAll(string(s), "~", "~0"), "/", "~1"))
				}))),
		)
	})
	return mutationEnv, mutationErr
}

// CompileMutation compiles a mutation expression in MutationEnv.
func CompileMutation(expr string) (*Program, error) {
	env, err := MutationEnv()
	if err != nil {
		return nil, err
	}
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%w: %v", ErrCompile, iss.Err())
	}
	prg, err := env.Program(checked, cel.CostLimit(PerCallLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCompile, err)
	}
	return &Program{Expression: expr, prg: prg}, nil
}

// Native turns a CEL result into JSON-shaped Go values (maps, lists, strings,
// numbers, bools, nil).
func Native(v ref.Val) (any, error) {
	switch x := v.(type) {
	case types.Null:
		return nil, nil
	case types.String:
		return string(x), nil
	case types.Bool:
		return bool(x), nil
	case types.Int:
		return int64(x), nil
	case types.Uint:
		return uint64(x), nil
	case types.Double:
		return float64(x), nil
	case types.Bytes:
		return []byte(x), nil
	case traits.Mapper:
		out := map[string]any{}
		it := x.Iterator()
		for it.HasNext() == types.True {
			k := it.Next()
			ks, ok := k.(types.String)
			if !ok {
				return nil, fmt.Errorf("map key %v is not a string", k)
			}
			val, err := Native(x.Get(k))
			if err != nil {
				return nil, err
			}
			out[string(ks)] = val
		}
		return out, nil
	case traits.Lister:
		var out []any
		it := x.Iterator()
		for it.HasNext() == types.True {
			val, err := Native(it.Next())
			if err != nil {
				return nil, err
			}
			out = append(out, val)
		}
		return out, nil
	case *types.Err:
		return nil, x
	}
	return nil, fmt.Errorf("unsupported value of type %s", v.Type())
}
