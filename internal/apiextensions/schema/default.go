package schema

import "k8s.io/apimachinery/pkg/runtime"

// Default sets, in place, the schema's default values: missing or null
// (non-nullable) object fields, null list items and null additionalProperties
// values get a deep copy of their default. It runs on every write and on every
// read from storage, like kube-apiserver's structural defaulting.
func (s *Schema) Default(obj map[string]any) {
	root := s.usable()
	if root == nil || obj == nil {
		return
	}
	applyDefaults(obj, root)
}

// needsDefault reports whether x is a null a non-nullable schema replaces.
func needsDefault(x any, n *node) bool {
	return x == nil && n != nil && !n.nullable
}

func applyDefaults(x any, n *node) {
	if n == nil {
		return
	}
	switch x := x.(type) {
	case map[string]any:
		for k, p := range n.props {
			if p.def == nil {
				continue
			}
			if v, found := x[k]; !found || needsDefault(v, p) {
				x[k] = runtime.DeepCopyJSONValue(p.def)
			}
		}
		for k, v := range x {
			if p, ok := n.props[k]; ok {
				applyDefaults(v, p)
				continue
			}
			if !n.hasAdditional {
				continue
			}
			if needsDefault(v, n.additional) {
				x[k] = deepCopyOrNil(n.additional.def)
			}
			applyDefaults(x[k], n.additional)
		}
	case []any:
		for i := range x {
			if needsDefault(x[i], n.items) {
				x[i] = deepCopyOrNil(n.items.def)
			}
			applyDefaults(x[i], n.items)
		}
	}
}

func deepCopyOrNil(v any) any {
	if v == nil {
		return nil
	}
	return runtime.DeepCopyJSONValue(v)
}
