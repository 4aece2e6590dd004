package celenv

import (
	"fmt"
	"net/url"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"k8s.io/apimachinery/pkg/api/resource"
)

// kubernetesLibrary declares the Kubernetes CEL functions policies commonly use
// that cel-go's extensions lack: quantity(), isQuantity(), url(), isURL() and the
// list functions sum, min, max, isSorted, indexOf and lastIndexOf.
func kubernetesLibrary() cel.EnvOption { return cel.Lib(k8sLib{}) }

type k8sLib struct{}

func (k8sLib) ProgramOptions() []cel.ProgramOption { return nil }

var (
	quantityType = cel.OpaqueType("kubernetes.Quantity")
	urlType      = cel.OpaqueType("kubernetes.URL")
)

type quantityVal struct{ q resource.Quantity }

func (v quantityVal) ConvertToNative(t reflect.Type) (any, error) {
	if t.Kind() == reflect.String {
		return v.q.String(), nil
	}
	return nil, fmt.Errorf("quantity cannot be converted to %v", t)
}
func (v quantityVal) ConvertToType(t ref.Type) ref.Val {
	if t == types.StringType {
		return types.String(v.q.String())
	}
	return types.NewErr("no conversion of quantity to %s", t)
}
func (v quantityVal) Equal(o ref.Val) ref.Val {
	other, ok := o.(quantityVal)
	return types.Bool(ok && v.q.Cmp(other.q) == 0)
}
func (v quantityVal) Type() ref.Type { return quantityType }
func (v quantityVal) Value() any     { return v.q }

type urlVal struct{ u *url.URL }

func (v urlVal) ConvertToNative(t reflect.Type) (any, error) {
	if t.Kind() == reflect.String {
		return v.u.String(), nil
	}
	return nil, fmt.Errorf("url cannot be converted to %v", t)
}
func (v urlVal) ConvertToType(t ref.Type) ref.Val {
	if t == types.StringType {
		return types.String(v.u.String())
	}
	return types.NewErr("no conversion of url to %s", t)
}
func (v urlVal) Equal(o ref.Val) ref.Val {
	other, ok := o.(urlVal)
	return types.Bool(ok && v.u.String() == other.u.String())
}
func (v urlVal) Type() ref.Type { return urlType }
func (v urlVal) Value() any     { return v.u }

// parseURL accepts an absolute URI or an absolute path, as upstream's url().
func parseURL(s string) (*url.URL, error) {
	return url.ParseRequestURI(s)
}

func (k8sLib) CompileOptions() []cel.EnvOption {
	str := func(v ref.Val) (string, bool) { s, ok := v.(types.String); return string(s), ok }
	q := func(v ref.Val) (resource.Quantity, bool) { x, ok := v.(quantityVal); return x.q, ok }
	quantityCmp := func(name string, test func(c int) bool) cel.EnvOption {
		return cel.Function(name, cel.MemberOverload("quantity_"+name, []*cel.Type{quantityType, quantityType}, cel.BoolType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				x, ok1 := q(a)
				y, ok2 := q(b)
				if !ok1 || !ok2 {
					return types.NewErr("no such overload")
				}
				return types.Bool(test(x.Cmp(y)))
			})))
	}
	urlPart := func(name string, part func(u *url.URL) string) cel.EnvOption {
		return cel.Function(name, cel.MemberOverload("url_"+name, []*cel.Type{urlType}, cel.StringType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				u, ok := v.(urlVal)
				if !ok {
					return types.NewErr("no such overload")
				}
				return types.String(part(u.u))
			})))
	}
	listT := cel.ListType(cel.TypeParamType("T"))
	return []cel.EnvOption{
		cel.Function("quantity", cel.Overload("string_to_quantity", []*cel.Type{cel.StringType}, quantityType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, _ := str(v)
				parsed, err := resource.ParseQuantity(s)
				if err != nil {
					return types.NewErr("invalid quantity %q: %v", s, err)
				}
				return quantityVal{q: parsed}
			}))),
		cel.Function("isQuantity", cel.Overload("is_quantity_string", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, _ := str(v)
				_, err := resource.ParseQuantity(s)
				return types.Bool(err == nil)
			}))),
		quantityCmp("isGreaterThan", func(c int) bool { return c > 0 }),
		quantityCmp("isLessThan", func(c int) bool { return c < 0 }),
		cel.Function("compareTo", cel.MemberOverload("quantity_compareTo", []*cel.Type{quantityType, quantityType}, cel.IntType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				x, ok1 := q(a)
				y, ok2 := q(b)
				if !ok1 || !ok2 {
					return types.NewErr("no such overload")
				}
				return types.Int(x.Cmp(y))
			}))),
		cel.Function("add", cel.MemberOverload("quantity_add", []*cel.Type{quantityType, quantityType}, quantityType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				x, _ := q(a)
				y, _ := q(b)
				x = x.DeepCopy()
				x.Add(y)
				return quantityVal{q: x}
			}))),
		cel.Function("sub", cel.MemberOverload("quantity_sub", []*cel.Type{quantityType, quantityType}, quantityType,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				x, _ := q(a)
				y, _ := q(b)
				x = x.DeepCopy()
				x.Sub(y)
				return quantityVal{q: x}
			}))),
		cel.Function("asInteger", cel.MemberOverload("quantity_asInteger", []*cel.Type{quantityType}, cel.IntType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				x, _ := q(v)
				i, ok := x.AsInt64()
				if !ok {
					return types.NewErr("cannot convert quantity %s to an integer", x.String())
				}
				return types.Int(i)
			}))),
		cel.Function("isInteger", cel.MemberOverload("quantity_isInteger", []*cel.Type{quantityType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				x, _ := q(v)
				_, ok := x.AsInt64()
				return types.Bool(ok)
			}))),
		cel.Function("asApproximateFloat", cel.MemberOverload("quantity_asApproximateFloat", []*cel.Type{quantityType}, cel.DoubleType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				x, _ := q(v)
				return types.Double(x.AsApproximateFloat64())
			}))),
		cel.Function("sign", cel.MemberOverload("quantity_sign", []*cel.Type{quantityType}, cel.IntType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				x, _ := q(v)
				return types.Int(x.Sign())
			}))),
		cel.Function("url", cel.Overload("string_to_url", []*cel.Type{cel.StringType}, urlType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, _ := str(v)
				u, err := parseURL(s)
				if err != nil {
					return types.NewErr("%v", err)
				}
				return urlVal{u: u}
			}))),
		cel.Function("isURL", cel.Overload("is_url_string", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, _ := str(v)
				_, err := parseURL(s)
				return types.Bool(err == nil)
			}))),
		urlPart("getScheme", func(u *url.URL) string { return u.Scheme }),
		urlPart("getHost", func(u *url.URL) string { return u.Host }),
		urlPart("getHostname", func(u *url.URL) string { return u.Hostname() }),
		urlPart("getPort", func(u *url.URL) string { return u.Port() }),
		urlPart("getEscapedPath", func(u *url.URL) string { return u.EscapedPath() }),
		cel.Function("sum", cel.MemberOverload("list_int_sum", []*cel.Type{cel.ListType(cel.IntType)}, cel.IntType, cel.UnaryBinding(sumList(types.Int(0)))),
			cel.MemberOverload("list_double_sum", []*cel.Type{cel.ListType(cel.DoubleType)}, cel.DoubleType, cel.UnaryBinding(sumList(types.Double(0))))),
		cel.Function("min", cel.MemberOverload("list_min", []*cel.Type{listT}, cel.TypeParamType("T"), cel.UnaryBinding(extreme(-1)))),
		cel.Function("max", cel.MemberOverload("list_max", []*cel.Type{listT}, cel.TypeParamType("T"), cel.UnaryBinding(extreme(1)))),
		cel.Function("isSorted", cel.MemberOverload("list_isSorted", []*cel.Type{listT}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				l, ok := v.(traits.Lister)
				if !ok {
					return types.NewErr("no such overload")
				}
				var prev ref.Val
				it := l.Iterator()
				for it.HasNext() == types.True {
					cur := it.Next()
					if prev != nil {
						c, ok := prev.(traits.Comparer)
						if !ok {
							return types.NewErr("list elements are not comparable")
						}
						if r, ok := c.Compare(cur).(types.Int); !ok || r > 0 {
							return types.Bool(false)
						}
					}
					prev = cur
				}
				return types.Bool(true)
			}))),
		cel.Function("indexOf", cel.MemberOverload("list_indexOf", []*cel.Type{listT, cel.TypeParamType("T")}, cel.IntType, cel.BinaryBinding(findIndex(false)))),
		cel.Function("lastIndexOf", cel.MemberOverload("list_lastIndexOf", []*cel.Type{listT, cel.TypeParamType("T")}, cel.IntType, cel.BinaryBinding(findIndex(true)))),
	}
}

func sumList(zero ref.Val) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		l, ok := v.(traits.Lister)
		if !ok {
			return types.NewErr("no such overload")
		}
		acc := zero
		it := l.Iterator()
		for it.HasNext() == types.True {
			a, ok := acc.(traits.Adder)
			if !ok {
				return types.NewErr("list elements cannot be added")
			}
			acc = a.Add(it.Next())
			if types.IsError(acc) {
				return acc
			}
		}
		return acc
	}
}

// extreme returns the smallest (want -1) or largest (want 1) element.
func extreme(want int64) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		l, ok := v.(traits.Lister)
		if !ok {
			return types.NewErr("no such overload")
		}
		var best ref.Val
		it := l.Iterator()
		for it.HasNext() == types.True {
			cur := it.Next()
			if best == nil {
				best = cur
				continue
			}
			c, ok := cur.(traits.Comparer)
			if !ok {
				return types.NewErr("list elements are not comparable")
			}
			if r, ok := c.Compare(best).(types.Int); ok && int64(r) == want {
				best = cur
			}
		}
		if best == nil {
			return types.NewErr("min and max need a non-empty list")
		}
		return best
	}
}

func findIndex(last bool) func(ref.Val, ref.Val) ref.Val {
	return func(lv, x ref.Val) ref.Val {
		l, ok := lv.(traits.Lister)
		if !ok {
			return types.NewErr("no such overload")
		}
		found := int64(-1)
		i := int64(0)
		it := l.Iterator()
		for it.HasNext() == types.True {
			if it.Next().Equal(x) == types.True {
				found = i
				if !last {
					return types.Int(found)
				}
			}
			i++
		}
		return types.Int(found)
	}
}
