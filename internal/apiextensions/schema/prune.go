package schema

import (
	"sort"
	"strconv"
)

// typeMetaFields are kept at the root and in embedded resources; metadata is
// handled by CoerceMetadata instead of pruning.
var typeMetaFields = map[string]bool{"apiVersion": true, "kind": true, "metadata": true}

// Prune removes, in place, every field the schema does not specify (unless
// x-kubernetes-preserve-unknown-fields keeps it) and then the null values of
// non-nullable fields without a default, as kube-apiserver does after decoding
// a custom resource. apiVersion, kind and metadata at the root and in embedded
// resources are kept. It returns the removed unknown fields' paths the way
// strict field validation reports them ("spec.foo", "spec.list[0].bar"),
// sorted. A nil or schema-less Schema prunes nothing.
func (s *Schema) Prune(obj map[string]any) []string {
	root := s.usable()
	if root == nil || obj == nil {
		return nil
	}
	p := pruner{}
	p.prune(obj, root.asResourceRoot())
	pruneNulls(obj, root)
	sort.Strings(p.unknown)
	return p.unknown
}

// pruner walks a value with its schema, remembering the JSON path it is at.
type pruner struct {
	path    []byte
	unknown []string
}

func (p *pruner) enterKey(k string) int {
	l := len(p.path)
	if l > 0 {
		p.path = append(p.path, '.')
	}
	p.path = append(p.path, k...)
	return l
}

func (p *pruner) enterIndex(i int) int {
	l := len(p.path)
	p.path = append(p.path, '[')
	p.path = strconv.AppendInt(p.path, int64(i), 10)
	p.path = append(p.path, ']')
	return l
}

func (p *pruner) record(k string) {
	l := p.enterKey(k)
	p.unknown = append(p.unknown, string(p.path))
	p.path = p.path[:l]
}

func (p *pruner) prune(x any, n *node) {
	if n != nil && n.preserveUnknown {
		p.descendPreserving(x, n)
		return
	}
	switch x := x.(type) {
	case map[string]any:
		if n == nil {
			for k := range x {
				p.record(k)
				delete(x, k)
			}
			return
		}
		for k, v := range x {
			if n.embedded && typeMetaFields[k] {
				continue
			}
			if child, ok := n.child(k); ok {
				l := p.enterKey(k)
				p.prune(v, child)
				p.path = p.path[:l]
				continue
			}
			if !typeMetaFields[k] || len(p.path) > 0 {
				p.record(k)
			}
			delete(x, k)
		}
	case []any:
		var items *node
		if n != nil {
			items = n.items
		}
		for i, v := range x {
			l := p.enterIndex(i)
			p.prune(v, items)
			p.path = p.path[:l]
		}
	}
}

// descendPreserving keeps unknown fields but still prunes below the fields
// the schema does specify.
func (p *pruner) descendPreserving(x any, n *node) {
	if n == nil {
		return
	}
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if n.embedded && typeMetaFields[k] {
				continue
			}
			if child, ok := n.child(k); ok {
				l := p.enterKey(k)
				p.prune(v, child)
				p.path = p.path[:l]
			}
		}
	case []any:
		for i, v := range x {
			l := p.enterIndex(i)
			p.descendPreserving(v, n.items)
			p.path = p.path[:l]
		}
	}
}

// pruneNulls drops null values of fields that are neither nullable nor
// defaulted; what the schema does not know is left alone.
func pruneNulls(x any, n *node) {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			child, _ := n.child(k)
			if v == nil && child != nil && !child.nullable && child.def == nil {
				delete(x, k)
				continue
			}
			pruneNulls(v, child)
		}
	case []any:
		var items *node
		if n != nil {
			items = n.items
		}
		for _, v := range x {
			pruneNulls(v, items)
		}
	}
}
