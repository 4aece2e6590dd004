package schema

import (
	"fmt"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
)

// node is the structural skeleton of one schema level: the parts that decide
// which fields exist, their type, defaults and Kubernetes extensions. Value
// validations (allOf, pattern, ...) are left to the kube-openapi schema.
type node struct {
	typ      string
	nullable bool
	// def is the (pruned) default, nil when there is none or it is null.
	def any

	props map[string]*node
	// hasAdditional is true when additionalProperties is given at all
	// (a schema, true or false); additional is its schema, if any.
	hasAdditional bool
	additional    *node
	items         *node

	preserveUnknown bool
	embedded        bool
	intOrString     bool
	listType        string
	listMapKeys     []string
	mapType         string

	// src is the schema level this node was built from; used for default
	// validation at CRD write time.
	src *apiextensions.JSONSchemaProps
}

// buildNode converts an internal JSONSchemaProps into its structural skeleton,
// failing on the JSON-Schema features structural schemas do not support.
func buildNode(s *apiextensions.JSONSchemaProps) (*node, error) {
	if s == nil {
		return nil, nil
	}
	if err := checkSupported(s); err != nil {
		return nil, err
	}
	n := &node{
		typ:         s.Type,
		nullable:    s.Nullable,
		embedded:    s.XEmbeddedResource,
		intOrString: s.XIntOrString,
		listMapKeys: s.XListMapKeys,
		src:         s,
	}
	if s.Default != nil {
		n.def = *s.Default
	}
	if err := checkNestedSupported(s); err != nil {
		return nil, err
	}
	if s.XPreserveUnknownFields != nil {
		if !*s.XPreserveUnknownFields {
			return nil, fmt.Errorf("internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined")
		}
		n.preserveUnknown = true
	}
	if s.XListType != nil {
		n.listType = *s.XListType
	}
	if s.XMapType != nil {
		n.mapType = *s.XMapType
	}
	if s.Items != nil {
		if len(s.Items.JSONSchemas) > 0 {
			return nil, fmt.Errorf("OpenAPIV3Schema 'items' must be a schema, but is an array")
		}
		item, err := buildNode(s.Items.Schema)
		if err != nil {
			return nil, err
		}
		n.items = item
	}
	if len(s.Properties) > 0 {
		n.props = make(map[string]*node, len(s.Properties))
		for k := range s.Properties {
			p := s.Properties[k]
			child, err := buildNode(&p)
			if err != nil {
				return nil, err
			}
			n.props[k] = child
		}
	}
	if s.AdditionalProperties != nil {
		n.hasAdditional = true
		if s.AdditionalProperties.Schema != nil {
			child, err := buildNode(s.AdditionalProperties.Schema)
			if err != nil {
				return nil, err
			}
			n.additional = child
		}
	}
	return n, nil
}

// checkSupported rejects schema keywords kube-apiserver cannot turn into a
// structural schema (its own messages).
func checkSupported(s *apiextensions.JSONSchemaProps) error {
	switch {
	case len(s.ID) > 0:
		return fmt.Errorf("OpenAPIV3Schema 'id' is not supported")
	case len(s.Schema) > 0:
		return fmt.Errorf("OpenAPIV3Schema 'schema' is not supported")
	case s.Ref != nil && len(*s.Ref) > 0:
		return fmt.Errorf("OpenAPIV3Schema '$ref' is not supported")
	case len(s.PatternProperties) > 0:
		return fmt.Errorf("OpenAPIV3Schema 'patternProperties' is not supported")
	case len(s.Dependencies) > 0:
		return fmt.Errorf("OpenAPIV3Schema 'dependencies' is not supported")
	case s.AdditionalItems != nil:
		return fmt.Errorf("OpenAPIV3Schema 'additionalItems' is not supported")
	case len(s.Definitions) > 0:
		return fmt.Errorf("OpenAPIV3Schema 'definitions' is not supported")
	}
	return nil
}

// checkNestedSupported applies checkSupported to the value-validation
// junctors (allOf, anyOf, oneOf, not) and everything below them.
func checkNestedSupported(s *apiextensions.JSONSchemaProps) error {
	var walk func(v *apiextensions.JSONSchemaProps, nested bool) error
	walk = func(v *apiextensions.JSONSchemaProps, nested bool) error {
		if v == nil {
			return nil
		}
		if nested {
			if err := checkSupported(v); err != nil {
				return err
			}
		}
		if err := walk(v.Not, true); err != nil {
			return err
		}
		for _, list := range [][]apiextensions.JSONSchemaProps{v.AllOf, v.AnyOf, v.OneOf} {
			for i := range list {
				if err := walk(&list[i], true); err != nil {
					return err
				}
			}
		}
		if !nested {
			return nil
		}
		if v.XPreserveUnknownFields != nil && !*v.XPreserveUnknownFields {
			return fmt.Errorf("internal error: 'x-kubernetes-preserve-unknown-fields' must be true or undefined")
		}
		if v.Items != nil {
			if len(v.Items.JSONSchemas) > 0 {
				return fmt.Errorf("OpenAPIV3Schema 'items' must be a schema, but is an array")
			}
			if err := walk(v.Items.Schema, true); err != nil {
				return err
			}
		}
		for k := range v.Properties {
			p := v.Properties[k]
			if err := walk(&p, true); err != nil {
				return err
			}
		}
		if v.AdditionalProperties != nil {
			return walk(v.AdditionalProperties.Schema, true)
		}
		return nil
	}
	return walk(s, false)
}

// child returns the schema for key k of an object described by n, or
// (nil, false) when the schema does not specify the key.
func (n *node) child(k string) (*node, bool) {
	if n == nil {
		return nil, false
	}
	if p, ok := n.props[k]; ok {
		return p, true
	}
	if n.hasAdditional {
		return n.additional, true
	}
	return nil, false
}

// asResourceRoot returns n marked as an embedded resource, the way upstream
// treats the root of a custom resource when pruning and coercing.
func (n *node) asResourceRoot() *node {
	if n == nil {
		return &node{embedded: true}
	}
	if n.embedded {
		return n
	}
	c := *n
	c.embedded = true
	return &c
}
