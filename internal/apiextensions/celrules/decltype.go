package celrules

import (
	"fmt"

	"github.com/google/cel-go/cel"
)

// Size limits Kubernetes assumes when a schema sets no maxLength, maxItems or
// maxProperties: nothing can be larger than the largest request.
const (
	maxRequestSizeBytes = int64(3 * 1024 * 1024)
	maxDurationSizeJSON = 32
	maxDatetimeSizeJSON = 32
	minDurationSizeJSON = 3
	jsonDateSize        = 12
	minDatetimeSizeJSON = 21
	minStringSize       = 2
	minBoolSize         = 4
	minNumberSize       = 1
)

type declKind int

const (
	kindSimple declKind = iota
	kindObject
	kindMap
	kindList
)

// declType is the CEL type of a schema node with the size bounds cost estimation
// uses: maxElements (characters, bytes, items or entries) and the smallest JSON the
// value can serialize to.
type declType struct {
	kind        declKind
	simple      *cel.Type // kindSimple
	name        string    // kindObject: the CEL type name
	fields      map[string]*declType
	elem        *declType // kindMap values, kindList items
	maxElements int64
	minSize     int64
}

func simpleType(t *cel.Type, minSize, maxElements int64) *declType {
	return &declType{kind: kindSimple, simple: t, minSize: minSize, maxElements: maxElements}
}

// celType is the declared CEL type.
func (t *declType) celType() *cel.Type {
	switch t.kind {
	case kindObject:
		return cel.ObjectType(t.name)
	case kindMap:
		return cel.MapType(cel.StringType, t.elem.celType())
	case kindList:
		return cel.ListType(t.elem.celType())
	}
	return t.simple
}

func zeroIfNegative(v int64) int64 { return max(v, 0) }

// buildDeclType types a schema node for CEL as Kubernetes does; nil when the node
// has no CEL type (no type and not int-or-string, or an array without items).
func buildDeclType(n *node, isResourceRoot bool) *declType {
	if n == nil {
		return nil
	}
	if n.intOrString {
		maxEl := maxRequestSizeBytes - 2
		if n.maxLength != nil {
			maxEl = zeroIfNegative(*n.maxLength) * 4
		}
		return simpleType(cel.DynType, 1, maxEl)
	}
	n = n.resourceView(isResourceRoot)
	switch n.typ {
	case "array":
		if n.items == nil {
			return nil
		}
		it := buildDeclType(n.items, n.items.embedded)
		if it == nil {
			return nil
		}
		maxItems := (maxRequestSizeBytes - 2) / (it.minSize + 1)
		if n.maxItems != nil {
			maxItems = zeroIfNegative(*n.maxItems)
		}
		return &declType{kind: kindList, elem: it, maxElements: maxItems, minSize: 2}
	case "object":
		if n.additional != nil {
			vt := buildDeclType(n.additional, n.additional.embedded)
			if vt == nil {
				return nil
			}
			maxProps := (maxRequestSizeBytes - 2) / (vt.minSize + 6)
			if n.maxProperties != nil {
				maxProps = zeroIfNegative(*n.maxProperties)
			}
			return &declType{kind: kindMap, elem: vt, maxElements: maxProps, minSize: 2}
		}
		required := map[string]bool{}
		for _, r := range n.required {
			required[r] = true
		}
		obj := &declType{kind: kindObject, fields: map[string]*declType{}, minSize: 2}
		for _, name := range n.propNames {
			p := n.props[name]
			ft := buildDeclType(p, p.embedded)
			if ft == nil {
				continue
			}
			if esc, ok := escapeName(name); ok {
				obj.fields[esc] = ft
			}
			if required[name] && !p.hasDefault {
				obj.minSize += int64(len(name)) + ft.minSize + 4
			}
		}
		return obj
	case "string":
		switch n.format {
		case "byte":
			maxEl := maxRequestSizeBytes - 2
			if n.maxLength != nil {
				maxEl = zeroIfNegative(*n.maxLength)
			}
			return simpleType(cel.BytesType, minStringSize, maxEl)
		case "duration":
			return simpleType(cel.DurationType, minDurationSizeJSON, maxDurationSizeJSON)
		case "date":
			return simpleType(cel.TimestampType, jsonDateSize, jsonDateSize)
		case "date-time":
			return simpleType(cel.TimestampType, minDatetimeSizeJSON, maxDatetimeSizeJSON)
		}
		maxEl := maxRequestSizeBytes - 2
		switch {
		case n.maxLength != nil:
			maxEl = zeroIfNegative(*n.maxLength) * 4
		case len(n.enumStrings) > 0:
			maxEl = 0
			for _, e := range n.enumStrings {
				maxEl = max(maxEl, int64(len(e)))
			}
		}
		return simpleType(cel.StringType, minStringSize, maxEl)
	case "boolean":
		return simpleType(cel.BoolType, minBoolSize, 0)
	case "number":
		return simpleType(cel.DoubleType, minNumberSize, 0)
	case "integer":
		return simpleType(cel.IntType, minNumberSize, 0)
	}
	return nil
}

// assignNames names every object type below t after its path from name, so each
// compiled schema node has its own, unguessable, type names.
func (t *declType) assignNames(name string, objects map[string]*declType) {
	switch t.kind {
	case kindObject:
		t.name = name
		objects[name] = t
		for f, ft := range t.fields {
			ft.assignNames(fmt.Sprintf("%s.%s", name, f), objects)
		}
	case kindMap:
		t.elem.assignNames(name+".@elem", objects)
	case kindList:
		t.elem.assignNames(name+".@idx", objects)
	}
}
