package schema

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateLists reports duplicates in x-kubernetes-list-type=set lists and
// duplicate keys in list-type=map lists anywhere below the object obj.
func validateLists(pth *field.Path, n *node, obj map[string]any) field.ErrorList {
	if n == nil || obj == nil {
		return nil
	}
	var errs field.ErrorList
	if n.additional != nil {
		for k, v := range obj {
			errs = append(errs, validateListsIn(pth.Key(k), n.additional, v)...)
		}
	}
	if n.props != nil {
		for k, v := range obj {
			if p, ok := n.props[k]; ok {
				errs = append(errs, validateListsIn(pth.Child(k), p, v)...)
			}
		}
	}
	return errs
}

func validateListsIn(pth *field.Path, n *node, x any) field.ErrorList {
	switch x := x.(type) {
	case []any:
		return validateListsInArray(pth, n, x)
	case map[string]any:
		return validateLists(pth, n, x)
	}
	return nil
}

func validateListsInArray(pth *field.Path, n *node, list []any) field.ErrorList {
	if n == nil {
		return nil
	}
	var errs field.ErrorList
	switch n.listType {
	case "set":
		dups, err := duplicates(pth, list)
		if err != nil {
			errs = append(errs, err)
		}
		for _, i := range dups {
			errs = append(errs, field.Duplicate(pth.Index(i), list[i]))
		}
	case "map":
		errs = append(errs, validateMapList(pth, n, list)...)
	}
	if n.items != nil {
		for i := range list {
			errs = append(errs, validateListsIn(pth.Index(i), n.items, list[i])...)
		}
	}
	return errs
}

// duplicates returns the index of the second occurrence of every value that
// occurs more than once; compound values compare by their JSON form.
func duplicates(pth *field.Path, list []any) ([]int, *field.Error) {
	if len(list) <= 1 {
		return nil, nil
	}
	seenScalars := make(map[any]int, len(list))
	seenCompounds := make(map[string]int, len(list))
	var dups []int
	for i, x := range list {
		switch x.(type) {
		case map[string]any, []any:
			b, err := json.Marshal(x)
			if err != nil {
				return nil, field.Invalid(pth.Index(i), x, "internal error")
			}
			seenCompounds[string(b)]++
			if seenCompounds[string(b)] == 2 {
				dups = append(dups, i)
			}
		default:
			if !hashableScalar(x) {
				return nil, field.Invalid(pth.Index(i), x, "internal error")
			}
			seenScalars[x]++
			if seenScalars[x] == 2 {
				dups = append(dups, i)
			}
		}
	}
	return dups, nil
}

// hashableScalar guards map keys against values of unhashable Go types, which
// unstructured JSON never holds but a careless caller might pass.
func hashableScalar(x any) bool {
	switch x.(type) {
	case nil, bool, string, int64, float64, int, int32, float32, unspecifiedKey:
		return true
	}
	return false
}

// unspecifiedKey stands for a list-map item lacking the (single) key field.
type unspecifiedKey struct{}

func validateMapList(pth *field.Path, n *node, list []any) field.ErrorList {
	for i, x := range list {
		if _, ok := x.(map[string]any); x != nil && !ok {
			return field.ErrorList{field.Invalid(pth.Index(i), x, "must be an object for an array of list-type map")}
		}
	}
	if len(list) <= 1 {
		return nil
	}
	if len(n.listMapKeys) == 1 {
		keyField := n.listMapKeys[0]
		keys := make([]any, 0, len(list))
		for _, x := range list {
			m, _ := x.(map[string]any)
			if k, ok := m[keyField]; ok {
				keys = append(keys, k)
			} else {
				keys = append(keys, unspecifiedKey{})
			}
		}
		dups, err := duplicates(pth, keys)
		if err != nil {
			return field.ErrorList{err}
		}
		var errs field.ErrorList
		for _, i := range dups {
			if _, ok := keys[i].(unspecifiedKey); ok {
				errs = append(errs, field.Duplicate(pth.Index(i), map[string]any{}))
			} else {
				errs = append(errs, field.Duplicate(pth.Index(i), map[string]any{keyField: keys[i]}))
			}
		}
		return errs
	}
	keys := make([]any, 0, len(list))
	for _, x := range list {
		m, _ := x.(map[string]any)
		key := map[string]any{}
		for _, k := range n.listMapKeys {
			if v, ok := m[k]; ok {
				key[k] = v
			}
		}
		keys = append(keys, key)
	}
	dups, err := duplicates(pth, keys)
	if err != nil {
		return field.ErrorList{err}
	}
	var errs field.ErrorList
	for _, i := range dups {
		errs = append(errs, field.Duplicate(pth.Index(i), keys[i]))
	}
	return errs
}
