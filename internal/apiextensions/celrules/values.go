package celrules

import (
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
)

// toVal presents an unstructured value to CEL as its schema types it. Values are
// wrapped lazily: objects and lists convert their members when a rule reads them,
// and malformed data becomes an error value the rule trips over only if it reads it.
func toVal(v any, n *node) ref.Val {
	if v == nil {
		if n.nullable {
			return types.NullValue
		}
		return types.NewErr("invalid data, got null for schema with nullable=false")
	}
	if n.intOrString {
		switch x := v.(type) {
		case string:
			return types.String(x)
		case int64:
			return types.Int(x)
		case int:
			return types.Int(x)
		case int32:
			return types.Int(x)
		}
		return types.NewErr("invalid data, expected XIntOrString value to be either a string or integer")
	}
	switch n.typ {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return types.NewErr("invalid data, expected a map for the provided schema with type=object")
		}
		switch {
		case n.embedded || n.props != nil:
			return &objectVal{m: m, n: n.resourceView(n.embedded)}
		case n.additional != nil:
			return &objectVal{m: m, n: n, isMap: true}
		}
		return &objectVal{m: m, n: n}
	case "array":
		l, ok := v.([]any)
		if !ok {
			return types.NewErr("invalid data, expected an array for the provided schema with type=array")
		}
		if n.items == nil {
			return types.NewErr("invalid array type, expected Items with a non-empty Schema")
		}
		switch n.listType {
		case "", "atomic", "set", "map":
			return &listVal{l: l, n: n}
		}
		return types.NewErr("invalid x-kubernetes-list-type, expected 'map', 'set' or 'atomic' but got %s", n.listType)
	case "string":
		s, ok := v.(string)
		if !ok {
			return types.NewErr("invalid data, expected string, got %T", v)
		}
		return formattedString(s, n.format)
	case "number":
		switch x := v.(type) {
		case float64:
			return types.Double(x)
		case int64:
			return types.Double(x)
		case int:
			return types.Double(x)
		case int32:
			return types.Double(x)
		case float32:
			return types.Double(x)
		}
		return types.NewErr("invalid data, expected float, got %T", v)
	case "integer":
		switch x := v.(type) {
		case int64:
			return types.Int(x)
		case int:
			return types.Int(x)
		case int32:
			return types.Int(x)
		}
		return types.NewErr("invalid data, expected int, got %T", v)
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return types.NewErr("invalid data, expected bool, got %T", v)
		}
		return types.Bool(b)
	}
	if n.preserveUnknown {
		return &unknownVal{v: v}
	}
	return types.NewErr("invalid type, expected object, array, number, integer, boolean or string, or no type with x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields is true, got %s", n.typ)
}

// formattedString types strings with the duration, date, date-time and byte
// formats as CEL durations, timestamps and bytes.
func formattedString(s, format string) ref.Val {
	switch format {
	case "duration":
		d, err := strfmt.ParseDuration(s)
		if err != nil {
			return types.NewErr("Invalid duration %s: %v", s, err)
		}
		return types.Duration{Duration: d}
	case "date":
		d, err := time.Parse(strfmt.RFC3339FullDate, s)
		if err != nil {
			return types.NewErr("Invalid date formatted string %s: %v", s, err)
		}
		return types.Timestamp{Time: d}
	case "date-time":
		d, err := strfmt.ParseDateTime(s)
		if err != nil {
			return types.NewErr("Invalid date-time formatted string %s: %v", s, err)
		}
		return types.Timestamp{Time: time.Time(d)}
	case "byte":
		var b strfmt.Base64
		if err := b.UnmarshalText([]byte(s)); err != nil {
			return types.NewErr("Invalid byte formatted string %s: %v", s, err)
		}
		return types.Bytes(b)
	}
	return types.String(s)
}

// objectVal is an object (declared properties, reached by their escaped names) or,
// with isMap, a map whose values all follow additionalProperties.
type objectVal struct {
	m     map[string]any
	n     *node
	isMap bool
}

var (
	_ traits.Mapper = (*objectVal)(nil)
	_ traits.Lister = (*listVal)(nil)
)

// property maps a CEL key to the stored key and the schema of its value.
func (o *objectVal) property(key string) (string, *node, bool) {
	if o.isMap {
		return key, o.n.additional, true
	}
	name, ok := o.n.byCELName[key]
	if !ok {
		return "", nil, false
	}
	return name, o.n.props[name], true
}

// schemaOf is the schema of a stored key, nil when the key is not declared.
func (o *objectVal) schemaOf(raw string) *node {
	if o.isMap {
		return o.n.additional
	}
	return o.n.props[raw]
}

func (o *objectVal) Find(key ref.Val) (ref.Val, bool) {
	k, ok := key.(types.String)
	if !ok {
		return types.ValOrErr(key, "no such overload"), false
	}
	name, sch, ok := o.property(string(k))
	if !ok {
		return nil, false
	}
	raw, ok := o.m[name]
	if !ok {
		return nil, false
	}
	return toVal(raw, sch), true
}

func (o *objectVal) Get(key ref.Val) ref.Val {
	v, found := o.Find(key)
	if v != nil && types.IsError(v) {
		return v
	}
	if !found {
		return types.NewErr("no such key: %v", key)
	}
	return v
}

func (o *objectVal) Contains(key ref.Val) ref.Val {
	v, found := o.Find(key)
	if v != nil && types.IsError(v) {
		return v
	}
	return types.Bool(found)
}

// celKeys are the keys CEL sees, sorted so iteration is reproducible.
func (o *objectVal) celKeys() []string {
	keys := make([]string, 0, len(o.m))
	for k := range o.m {
		if o.isMap {
			keys = append(keys, k)
		} else if esc, ok := escapeName(k); ok && o.n.props[k] != nil {
			keys = append(keys, esc)
		}
	}
	sort.Strings(keys)
	return keys
}

func (o *objectVal) Iterator() traits.Iterator {
	return &keyIterator{keys: o.celKeys()}
}

func (o *objectVal) Size() ref.Val { return types.Int(len(o.m)) }

func (o *objectVal) Equal(other ref.Val) ref.Val {
	if ov, ok := other.(*objectVal); ok {
		if len(o.m) != len(ov.m) {
			return types.False
		}
		for k, a := range o.m {
			b, ok := ov.m[k]
			if !ok {
				return types.False
			}
			sa, sb := o.schemaOf(k), ov.schemaOf(k)
			if sa == nil || sb == nil {
				if !reflect.DeepEqual(a, b) {
					return types.False
				}
				continue
			}
			if eq := toVal(a, sa).Equal(toVal(b, sb)); eq != types.True {
				return eq
			}
		}
		return types.True
	}
	om, ok := other.(traits.Mapper)
	if !ok {
		return types.False
	}
	if om.Size() != o.Size() {
		return types.False
	}
	for _, k := range o.celKeys() {
		key := types.String(k)
		b, found := om.Find(key)
		if !found {
			return types.False
		}
		if eq := o.Get(key).Equal(b); eq != types.True {
			return eq
		}
	}
	return types.True
}

func (o *objectVal) ConvertToNative(t reflect.Type) (any, error) {
	if reflect.TypeOf(o.m).AssignableTo(t) {
		return o.m, nil
	}
	return nil, fmt.Errorf("type conversion error from map to '%v'", t)
}

func (o *objectVal) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.MapType:
		return o
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from '%s' to '%s'", types.MapType, t)
}

func (o *objectVal) Type() ref.Type { return types.MapType }
func (o *objectVal) Value() any     { return o.m }

type keyIterator struct {
	keys []string
	i    int
}

func (it *keyIterator) HasNext() ref.Val { return types.Bool(it.i < len(it.keys)) }
func (it *keyIterator) Next() ref.Val {
	if it.i >= len(it.keys) {
		return types.NewErr("no more elements")
	}
	it.i++
	return types.String(it.keys[it.i-1])
}
func (it *keyIterator) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("iterator cannot be converted")
}
func (it *keyIterator) ConvertToType(ref.Type) ref.Val {
	return types.NewErr("iterator cannot be converted")
}
func (it *keyIterator) Equal(ref.Val) ref.Val { return types.False }
func (it *keyIterator) Type() ref.Type        { return types.IteratorType }
func (it *keyIterator) Value() any            { return it }

// unknownVal is a value kept by x-kubernetes-preserve-unknown-fields without a
// type: rules may compare it but not look inside.
type unknownVal struct{ v any }

func (u *unknownVal) ConvertToNative(t reflect.Type) (any, error) {
	return nil, fmt.Errorf("type conversion to '%s' not supported for values preserved by x-kubernetes-preserve-unknown-fields", t)
}
func (u *unknownVal) ConvertToType(t ref.Type) ref.Val {
	return types.NewErr("type conversion to '%s' not supported for values preserved by x-kubernetes-preserve-unknown-fields", t.TypeName())
}
func (u *unknownVal) Equal(o ref.Val) ref.Val { return types.Bool(reflect.DeepEqual(u.v, o.Value())) }
func (u *unknownVal) Type() ref.Type          { return types.UnknownType }
func (u *unknownVal) Value() any              { return u.v }
