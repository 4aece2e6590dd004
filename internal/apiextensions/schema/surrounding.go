package schema

import "fmt"

// step is one hop from a resource root down to a schema level: an object key
// or "some list item".
type step struct {
	key   string
	index bool
}

// withKey and withIndex return a copy of path extended by one step, so
// sibling walks never share a backing array.
func withKey(path []step, k string) []step {
	return append(path[:len(path):len(path)], step{key: k})
}

func withIndex(path []step) []step {
	return append(path[:len(path):len(path)], step{index: true})
}

// surround embeds value at path inside an otherwise empty object, so a default
// can be pruned, coerced and validated in the context of a whole resource.
// With typeMeta, apiVersion and kind are filled in as a stand-in resource.
func surround(value any, path []step, typeMeta bool) (map[string]any, error) {
	v := value
	for i := len(path) - 1; i >= 0; i-- {
		if path[i].index {
			v = []any{v}
		} else {
			v = map[string]any{path[i].key: v}
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("object root default value must be of object type")
	}
	if typeMeta {
		if _, found := obj["kind"]; !found {
			obj["kind"] = "Validation"
		}
		if _, found := obj["apiVersion"]; !found {
			obj["apiVersion"] = "validation/v1"
		}
	}
	return obj, nil
}

// extract reads back the value at path from an object built by surround.
func extract(obj map[string]any, path []step) (any, bool) {
	var cur any = obj
	for _, s := range path {
		if s.index {
			l, ok := cur.([]any)
			if !ok || len(l) == 0 {
				return nil, false
			}
			cur = l[0]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		v, found := m[s.key]
		if !found {
			return nil, false
		}
		cur = v
	}
	return cur, true
}
