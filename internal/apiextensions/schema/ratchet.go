package schema

import (
	"fmt"
	"reflect"
	"strings"
)

// correlation pairs a value of the new object with the value at the same
// place in the old object, so validation errors on unchanged values can be
// ratcheted (kube-apiserver's CRDValidationRatcheting). Not safe for
// concurrent use; one is built per update.
type correlation struct {
	old, new any
	n        *node

	equal    *bool // cached result of deepEqual
	children map[any]*correlation

	oldByKey  *mapListIndex // old items of a list-type=map, built lazily
	isMapList bool          // whether oldByKey was needed
}

func newCorrelation(newValue, oldValue any, n *node) *correlation {
	return &correlation{old: oldValue, new: newValue, n: n}
}

// key returns the correlation of field k, or nil when either side lacks it
// or the schema does not describe it.
func (c *correlation) key(k string) *correlation {
	if c == nil || c.n == nil {
		return nil
	}
	if existing, ok := c.children[k]; ok {
		return existing
	}
	oldMap, okOld := c.old.(map[string]any)
	newMap, okNew := c.new.(map[string]any)
	if !okOld || !okNew {
		return nil
	}
	oldV, okOld := oldMap[k]
	newV, okNew := newMap[k]
	if !okOld || !okNew {
		return nil
	}
	child, _ := c.n.child(k)
	if child == nil {
		return nil
	}
	res := newCorrelation(newV, oldV, child)
	c.remember(k, res)
	return res
}

// index returns the correlation of new list item i: only items of
// list-type=map lists correlate, with the old item of the same keys.
func (c *correlation) index(i int) *correlation {
	if c == nil || c.n == nil {
		return nil
	}
	if existing, ok := c.children[i]; ok {
		return existing
	}
	newList, ok := c.new.([]any)
	if !ok || i >= len(newList) {
		return nil
	}
	oldList, ok := c.old.([]any)
	if !ok || c.n.listType != "map" {
		return nil
	}
	if c.oldByKey == nil {
		c.oldByKey = newMapListIndex(c.n, oldList)
		c.isMapList = true
	}
	oldItem := c.oldByKey.get(newList[i])
	if oldItem == nil || c.n.items == nil {
		return nil
	}
	res := newCorrelation(newList[i], oldItem, c.n.items)
	c.remember(i, res)
	return res
}

func (c *correlation) remember(k any, child *correlation) {
	if c.children == nil {
		c.children = map[any]*correlation{}
	}
	c.children[k] = child
}

// deepEqual reports whether the old and new values are the same, comparing
// map-list items by key rather than by position.
func (c *correlation) deepEqual() bool {
	if c == nil {
		return false
	}
	if c.equal != nil {
		return *c.equal
	}
	res := c.computeEqual()
	c.equal = &res
	return res
}

func (c *correlation) computeEqual() bool {
	if c.new == nil && c.old == nil {
		return true
	}
	if c.new == nil || c.old == nil {
		return false
	}
	oldList, oldIsList := c.old.([]any)
	newList, newIsList := c.new.([]any)
	oldMap, oldIsMap := c.old.(map[string]any)
	newMap, newIsMap := c.new.(map[string]any)
	if oldIsList != newIsList || oldIsMap != newIsMap {
		return false
	}
	switch {
	case oldIsList:
		if len(oldList) != len(newList) {
			return false
		}
		for i := range newList {
			child := c.index(i)
			if child == nil {
				if !c.isMapList {
					return reflect.DeepEqual(oldList, newList)
				}
				return false
			}
			if !child.deepEqual() {
				return false
			}
		}
		return true
	case oldIsMap:
		if len(oldMap) != len(newMap) {
			return false
		}
		for k := range newMap {
			child := c.key(k)
			if child == nil || !child.deepEqual() {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(c.old, c.new)
}

// mapListIndex finds old list-type=map items by their key values.
type mapListIndex struct {
	keys     []string
	byKey    map[any]any
	unkeyed  []any
	disabled bool
}

func newMapListIndex(n *node, items []any) *mapListIndex {
	if n.typ != "array" || n.listType != "map" || len(n.listMapKeys) == 0 || len(items) == 0 {
		return &mapListIndex{disabled: true}
	}
	return &mapListIndex{keys: n.listMapKeys, byKey: map[any]any{}, unkeyed: items}
}

// keyOf returns item's composite key; only scalar key values count.
func (m *mapListIndex) keyOf(item map[string]any) (any, bool) {
	if len(m.keys) == 1 {
		v, ok := item[m.keys[0]]
		if !ok {
			return nil, false
		}
		switch v.(type) {
		case bool, float64, int64, string:
			return v, true
		}
		return nil, false
	}
	var b strings.Builder
	for _, k := range m.keys {
		v, ok := item[k]
		if !ok {
			return nil, false
		}
		switch v := v.(type) {
		case bool:
			fmt.Fprintf(&b, "\x00%t", v)
		case float64:
			fmt.Fprintf(&b, "\x00%f", v)
		case int64:
			fmt.Fprintf(&b, "\x00%d", v)
		case string:
			fmt.Fprintf(&b, "\x00%q", v)
		default:
			return nil, false
		}
	}
	return b.String(), true
}

// get returns the old item with the same key as item, consuming the old
// list lazily; the first old item with a key wins.
func (m *mapListIndex) get(item any) any {
	if m.disabled {
		return nil
	}
	obj, ok := item.(map[string]any)
	if !ok {
		return nil
	}
	key, ok := m.keyOf(obj)
	if !ok {
		return nil
	}
	if match, ok := m.byKey[key]; ok {
		return match
	}
	for len(m.unkeyed) > 0 {
		next := m.unkeyed[0]
		m.unkeyed = m.unkeyed[1:]
		nextObj, ok := next.(map[string]any)
		if !ok {
			continue
		}
		nextKey, ok := m.keyOf(nextObj)
		if !ok {
			continue
		}
		if _, exists := m.byKey[nextKey]; !exists {
			m.byKey[nextKey] = nextObj
		}
		if nextKey == key {
			return nextObj
		}
	}
	return nil
}
