package celrules

import (
	"encoding/json"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// node is the part of a structural schema rules depend on: how values are typed
// for CEL, how old values are correlated, and where the rules sit. It is built
// once per schema and read concurrently afterwards.
type node struct {
	typ, format     string
	nullable        bool
	intOrString     bool
	embedded        bool
	preserveUnknown bool
	listType        string // "" (atomic), atomic, set or map
	listMapKeys     []string
	mapType         *string
	maxLength       *int64
	maxItems        *int64
	maxProperties   *int64
	required        []string
	enumStrings     []string
	hasDefault      bool

	props      map[string]*node // nil when the schema declares no properties
	propNames  []string         // sorted keys of props
	byCELName  map[string]string
	items      *node
	additional *node

	rules []apiextensionsv1.ValidationRule
	// withMeta is this object with apiVersion, kind and metadata.name/generateName
	// declared, as rules see the root of a resource.
	withMeta *node
}

// newNode converts a schema (nil gives nil).
func newNode(s *apiextensionsv1.JSONSchemaProps) *node {
	if s == nil {
		return nil
	}
	n := &node{
		typ:             s.Type,
		format:          s.Format,
		nullable:        s.Nullable,
		intOrString:     s.XIntOrString,
		embedded:        s.XEmbeddedResource,
		preserveUnknown: s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields,
		listMapKeys:     s.XListMapKeys,
		mapType:         s.XMapType,
		maxLength:       s.MaxLength,
		maxItems:        s.MaxItems,
		maxProperties:   s.MaxProperties,
		required:        s.Required,
		hasDefault:      s.Default != nil,
		rules:           s.XValidations,
	}
	if s.XListType != nil {
		n.listType = *s.XListType
	}
	for _, e := range s.Enum {
		if str, ok := jsonString(e.Raw); ok {
			n.enumStrings = append(n.enumStrings, str)
		}
	}
	if s.Properties != nil {
		n.props = make(map[string]*node, len(s.Properties))
		for name := range s.Properties {
			p := s.Properties[name]
			n.props[name] = newNode(&p)
		}
		n.indexProps()
	}
	if s.Items != nil {
		n.items = newNode(s.Items.Schema)
	}
	if s.AdditionalProperties != nil {
		n.additional = newNode(s.AdditionalProperties.Schema)
	}
	if n.typ == "object" && (n.embedded || n.props != nil) {
		n.withMeta = n.addTypeMeta()
	}
	return n
}

func (n *node) indexProps() {
	n.propNames = make([]string, 0, len(n.props))
	n.byCELName = make(map[string]string, len(n.props))
	for name := range n.props {
		n.propNames = append(n.propNames, name)
		if esc, ok := escapeName(name); ok {
			n.byCELName[esc] = name
		}
	}
	sort.Strings(n.propNames)
}

// addTypeMeta returns n with apiVersion, kind and metadata declared as the
// API server always fills them, or n itself when it declares them already.
func (n *node) addTypeMeta() *node {
	isType := func(p *node, t string) bool { return p != nil && p.typ == t }
	meta := n.props["metadata"]
	if isType(n.props["kind"], "string") && isType(n.props["apiVersion"], "string") &&
		isType(meta, "object") && meta.props != nil &&
		isType(meta.props["name"], "string") && isType(meta.props["generateName"], "string") {
		return n
	}
	cp := *n
	cp.props = make(map[string]*node, len(n.props)+3)
	for k, v := range n.props {
		cp.props[k] = v
	}
	cp.props["kind"] = &node{typ: "string"}
	cp.props["apiVersion"] = &node{typ: "string"}
	m := &node{typ: "object", props: map[string]*node{"name": {typ: "string"}, "generateName": {typ: "string"}}}
	m.indexProps()
	cp.props["metadata"] = m
	cp.indexProps()
	cp.withMeta = nil
	return &cp
}

// resourceView is how rules see n: with type and object meta at a resource root.
func (n *node) resourceView(isResourceRoot bool) *node {
	if isResourceRoot && n.withMeta != nil {
		return n.withMeta
	}
	if isResourceRoot && n.typ == "object" {
		return n.addTypeMeta()
	}
	return n
}

// mapCorrelatable reports whether the entries of an object can be matched between
// old and new values (granular and atomic maps).
func (n *node) mapCorrelatable() bool {
	return n.mapType == nil || *n.mapType == "granular" || *n.mapType == "atomic"
}

// jsonString decodes a JSON string literal.
func jsonString(raw []byte) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}
