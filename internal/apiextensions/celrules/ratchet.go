package celrules

import "reflect"

// corrNode pairs a value of an update with its old value at the same place, when
// one can be found through object keys and map-list keys. Its comparison result
// is cached; nodes live for one Validate call.
type corrNode struct {
	newV, oldV any
	n          *node
	children   map[any]*corrNode
	oldIndex   *oldByKey // old map-list elements by key, built on first use
	equal      *bool
}

// correlation tracks where validation is: cur is the correlated node for the
// current value (nil if it has none) and parent the nearest correlated ancestor.
type correlation struct {
	cur, parent *corrNode
}

// shouldRatchet reports whether errors at the current value are ratcheted: the
// value, or its nearest correlated ancestor, is unchanged by the update.
func (c correlation) shouldRatchet() bool {
	if c.cur != nil {
		return c.cur.deepEqual()
	}
	return c.parent != nil && c.parent.deepEqual()
}

func (c correlation) key(k string) correlation {
	if c.cur == nil {
		return c
	}
	if c.parent == nil && (k == "apiVersion" || k == "kind") {
		// both versions are converted to the same apiVersion and kind, so a change
		// there is invisible: never ratchet it.
		return correlation{}
	}
	return correlation{cur: c.cur.key(k), parent: c.cur}
}

func (c correlation) index(i int) correlation {
	if c.cur == nil {
		return c
	}
	return correlation{cur: c.cur.index(i), parent: c.cur}
}

func (c *corrNode) key(k string) *corrNode {
	if c == nil || c.n == nil {
		return nil
	}
	if child, ok := c.children[k]; ok {
		return child
	}
	oldMap, ok1 := c.oldV.(map[string]any)
	newMap, ok2 := c.newV.(map[string]any)
	if !ok1 || !ok2 {
		return nil
	}
	ov, ok1 := oldMap[k]
	nv, ok2 := newMap[k]
	if !ok1 || !ok2 {
		return nil
	}
	sch := c.n.props[k]
	if sch == nil {
		sch = c.n.additional
	}
	if sch == nil {
		return nil
	}
	return c.remember(k, &corrNode{newV: nv, oldV: ov, n: sch})
}

func (c *corrNode) index(i int) *corrNode {
	if c == nil || c.n == nil || c.n.listType != "map" {
		return nil
	}
	if child, ok := c.children[i]; ok {
		return child
	}
	oldList, ok1 := c.oldV.([]any)
	newList, ok2 := c.newV.([]any)
	if !ok1 || !ok2 || i >= len(newList) || c.n.items == nil {
		return nil
	}
	if c.oldIndex == nil {
		idx := newOldByKey(c.n, oldList)
		c.oldIndex = &idx
	}
	ov := c.oldIndex.get(newList[i])
	if ov == nil {
		return nil
	}
	return c.remember(i, &corrNode{newV: newList[i], oldV: ov, n: c.n.items})
}

func (c *corrNode) remember(k any, child *corrNode) *corrNode {
	if c.children == nil {
		c.children = map[any]*corrNode{}
	}
	c.children[k] = child
	return child
}

// deepEqual compares the value with its old value; map-list elements are matched
// by key so reordering them is no change.
func (c *corrNode) deepEqual() bool {
	if c == nil {
		return false
	}
	if c.equal != nil {
		return *c.equal
	}
	res := c.compare()
	c.equal = &res
	return res
}

func (c *corrNode) compare() bool {
	if c.newV == nil || c.oldV == nil {
		return c.newV == nil && c.oldV == nil
	}
	switch nv := c.newV.(type) {
	case []any:
		ov, ok := c.oldV.([]any)
		if !ok || len(ov) != len(nv) {
			return false
		}
		if c.n.listType != "map" {
			return reflect.DeepEqual(ov, nv)
		}
		for i := range nv {
			child := c.index(i)
			if child == nil || !child.deepEqual() {
				return false
			}
		}
		return true
	case map[string]any:
		ov, ok := c.oldV.(map[string]any)
		if !ok || len(ov) != len(nv) {
			return false
		}
		for k := range nv {
			child := c.key(k)
			if child == nil || !child.deepEqual() {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(c.oldV, c.newV)
}
