package celrules

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// listVal is an array: atomic lists compare in order, sets and map lists
// regardless of order; adding to a set keeps elements unique and adding to a map
// list replaces elements by key.
type listVal struct {
	l []any
	n *node
}

func (l *listVal) elem(i int) ref.Val { return toVal(l.l[i], l.n.items) }

func (l *listVal) Get(idx ref.Val) ref.Val {
	i, err := types.IndexOrError(idx)
	if err != nil {
		return types.WrapErr(err)
	}
	if i < 0 || i >= len(l.l) {
		return types.NewErr("index '%d' out of range in list size '%d'", i, len(l.l))
	}
	return l.elem(i)
}

func (l *listVal) Size() ref.Val { return types.Int(len(l.l)) }

func (l *listVal) Contains(v ref.Val) ref.Val {
	for i := range l.l {
		if l.elem(i).Equal(v) == types.True {
			return types.True
		}
	}
	return types.False
}

func (l *listVal) Iterator() traits.Iterator { return &listIterator{l: l} }

func (l *listVal) unordered() bool { return l.n.listType == "set" || l.n.listType == "map" }

func (l *listVal) Equal(other ref.Val) ref.Val {
	ol, ok := other.(traits.Lister)
	if !ok {
		return types.False
	}
	if ol.Size() != l.Size() {
		return types.False
	}
	if !l.unordered() {
		for i := range l.l {
			if eq := l.elem(i).Equal(ol.Get(types.Int(i))); eq != types.True {
				return eq
			}
		}
		return types.True
	}
	for i := range l.l {
		if ol.Contains(l.elem(i)) != types.True {
			return types.False
		}
	}
	return types.True
}

func (l *listVal) Add(other ref.Val) ref.Val {
	ol, ok := other.(traits.Lister)
	if !ok {
		return types.ValOrErr(other, "no such overload")
	}
	out := make([]ref.Val, 0, len(l.l))
	for i := range l.l {
		out = append(out, l.elem(i))
	}
	switch l.n.listType {
	case "set":
		it := ol.Iterator()
		for it.HasNext() == types.True {
			v := it.Next()
			if l.Contains(v) != types.True {
				out = append(out, v)
			}
		}
	case "map":
		index := make(map[string]int, len(out))
		for i, e := range out {
			index[l.elemKey(e)] = i
		}
		it := ol.Iterator()
		for it.HasNext() == types.True {
			e := it.Next()
			k := l.elemKey(e)
			if i, ok := index[k]; ok {
				out[i] = e
				continue
			}
			index[k] = len(out)
			out = append(out, e)
		}
	default:
		return l.concat(out, ol)
	}
	return types.NewRefValList(types.DefaultTypeAdapter, out)
}

func (l *listVal) concat(out []ref.Val, ol traits.Lister) ref.Val {
	it := ol.Iterator()
	for it.HasNext() == types.True {
		out = append(out, it.Next())
	}
	return types.NewRefValList(types.DefaultTypeAdapter, out)
}

func (l *listVal) ConvertToNative(t reflect.Type) (any, error) {
	if reflect.TypeOf(l.l).AssignableTo(t) {
		return l.l, nil
	}
	if t.Kind() == reflect.Slice {
		out := reflect.MakeSlice(t, len(l.l), len(l.l))
		for i := range l.l {
			v, err := l.elem(i).ConvertToNative(t.Elem())
			if err != nil {
				return nil, err
			}
			out.Index(i).Set(reflect.ValueOf(v))
		}
		return out.Interface(), nil
	}
	return nil, fmt.Errorf("type conversion error from list to '%v'", t)
}

func (l *listVal) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.ListType:
		return l
	case types.TypeType:
		return types.ListType
	}
	return types.NewErr("type conversion error from '%s' to '%s'", types.ListType, t)
}

func (l *listVal) Type() ref.Type { return types.ListType }
func (l *listVal) Value() any     { return l.l }

type listIterator struct {
	l *listVal
	i int
}

func (it *listIterator) HasNext() ref.Val { return types.Bool(it.i < len(it.l.l)) }
func (it *listIterator) Next() ref.Val {
	if it.i >= len(it.l.l) {
		return types.NewErr("no more elements")
	}
	it.i++
	return it.l.elem(it.i - 1)
}
func (it *listIterator) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("iterator cannot be converted")
}
func (it *listIterator) ConvertToType(ref.Type) ref.Val {
	return types.NewErr("iterator cannot be converted")
}
func (it *listIterator) Equal(ref.Val) ref.Val { return types.False }
func (it *listIterator) Type() ref.Type        { return types.IteratorType }
func (it *listIterator) Value() any            { return it }

// elemKey identifies a map-list element seen from CEL by its key fields.
func (l *listVal) elemKey(e ref.Val) string {
	m, ok := e.(traits.Mapper)
	if !ok {
		return fmt.Sprintf("%#v", e.Value())
	}
	vals := make([]any, len(l.n.listMapKeys))
	for i, k := range l.n.listMapKeys {
		esc, _ := escapeName(k)
		if v, found := m.Find(types.String(esc)); found && v != nil {
			vals[i] = v.Value()
		}
	}
	return fmt.Sprintf("%#v", vals)
}

// mapKey identifies an element of a map list by the values of its
// x-kubernetes-list-map-keys.
func (n *node) mapKey(elem any) string {
	m, _ := elem.(map[string]any)
	vals := make([]any, len(n.listMapKeys))
	for i, k := range n.listMapKeys {
		vals[i] = m[k]
	}
	return fmt.Sprintf("%#v", vals)
}

// oldByKey indexes the old elements of a map list by key so new elements find
// their old counterpart; for other lists it finds nothing.
type oldByKey struct {
	n     *node
	index map[string]any
}

func newOldByKey(n *node, old []any) oldByKey {
	if n.listType != "map" || len(n.listMapKeys) == 0 || len(old) == 0 {
		return oldByKey{}
	}
	idx := make(map[string]any, len(old))
	for _, e := range old {
		if _, ok := e.(map[string]any); ok {
			idx[n.mapKey(e)] = e
		}
	}
	return oldByKey{n: n, index: idx}
}

func (o oldByKey) get(elem any) any {
	if o.index == nil {
		return nil
	}
	if _, ok := elem.(map[string]any); !ok {
		return nil
	}
	return o.index[o.n.mapKey(elem)]
}
