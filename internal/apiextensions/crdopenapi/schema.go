package crdopenapi

import (
	"bytes"
	"errors"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Vendor extensions a CRD schema may carry, as published.
const (
	extPreserveUnknownFields = "x-kubernetes-preserve-unknown-fields"
	extEmbeddedResource      = "x-kubernetes-embedded-resource"
	extIntOrString           = "x-kubernetes-int-or-string"
	extListMapKeys           = "x-kubernetes-list-map-keys"
	extListType              = "x-kubernetes-list-type"
	extMapType               = "x-kubernetes-map-type"
	extValidations           = "x-kubernetes-validations"
	extGVK                   = "x-kubernetes-group-version-kind"
	extSelectableFields      = "x-kubernetes-selectable-fields"
)

// errNotStructural marks a schema that cannot be published as written; the kind
// is then described as a plain object, as upstream does.
var errNotStructural = errors.New("schema is not structural")

// openAPIV3Types are the JSON Schema types a CRD may use.
var openAPIV3Types = map[string]bool{
	"string": true, "number": true, "integer": true, "boolean": true, "array": true, "object": true,
}

// convertSchema copies a CRD schema into a kube-openapi schema, keeping exactly what
// a structural schema holds. nested is true inside allOf, anyOf, oneOf and not,
// where additionalProperties is not carried over (upstream's published form drops
// it there too). The result shares nothing with p.
func convertSchema(p *apiextensionsv1.JSONSchemaProps, nested bool) (*spec.Schema, error) {
	if p == nil {
		return nil, nil
	}
	if err := checkSupported(p); err != nil {
		return nil, err
	}
	s := &spec.Schema{}
	if p.Type != "" {
		s.Type = spec.StringOrArray{p.Type}
	}
	s.Nullable = p.Nullable
	s.Description = p.Description
	s.Title = p.Title
	var err error
	if s.Default, err = decodeJSON(p.Default); err != nil {
		return nil, err
	}
	if s.Example, err = decodeJSON(p.Example); err != nil {
		return nil, err
	}
	if p.ExternalDocs != nil {
		s.ExternalDocs = &spec.ExternalDocumentation{Description: p.ExternalDocs.Description, URL: p.ExternalDocs.URL}
	}
	if err := copyValueValidation(p, s); err != nil {
		return nil, err
	}
	if err := copyExtensions(p, s); err != nil {
		return nil, err
	}

	if p.Items != nil {
		if len(p.Items.JSONSchemas) > 0 {
			return nil, fmt.Errorf("%w: 'items' must be a schema, but is an array", errNotStructural)
		}
		items, err := convertSchema(p.Items.Schema, nested)
		if err != nil {
			return nil, err
		}
		if items != nil {
			s.Items = &spec.SchemaOrArray{Schema: items}
		}
	}
	if len(p.Properties) > 0 {
		s.Properties = make(map[string]spec.Schema, len(p.Properties))
		for name := range p.Properties {
			prop := p.Properties[name]
			ps, err := convertSchema(&prop, nested)
			if err != nil {
				return nil, err
			}
			s.Properties[name] = *ps
		}
	}
	if p.AdditionalProperties != nil && !nested {
		if p.AdditionalProperties.Schema != nil {
			as, err := convertSchema(p.AdditionalProperties.Schema, false)
			if err != nil {
				return nil, err
			}
			s.AdditionalProperties = &spec.SchemaOrBool{Allows: true, Schema: as}
		} else {
			s.AdditionalProperties = &spec.SchemaOrBool{Allows: p.AdditionalProperties.Allows}
		}
	}
	return s, nil
}

// checkSupported rejects the JSON Schema keywords a structural schema cannot have.
func checkSupported(p *apiextensionsv1.JSONSchemaProps) error {
	var field string
	switch {
	case p.ID != "":
		field = "id"
	case p.Schema != "":
		field = "$schema"
	case p.Ref != nil && *p.Ref != "":
		field = "$ref"
	case len(p.PatternProperties) > 0:
		field = "patternProperties"
	case len(p.Dependencies) > 0:
		field = "dependencies"
	case p.AdditionalItems != nil:
		field = "additionalItems"
	case len(p.Definitions) > 0:
		field = "definitions"
	case p.Type != "" && !openAPIV3Types[p.Type]:
		return fmt.Errorf("%w: invalid type %q", errNotStructural, p.Type)
	case p.XPreserveUnknownFields != nil && !*p.XPreserveUnknownFields:
		return fmt.Errorf("%w: 'x-kubernetes-preserve-unknown-fields' must be true or undefined", errNotStructural)
	default:
		return nil
	}
	return fmt.Errorf("%w: '%s' is not supported", errNotStructural, field)
}

func copyValueValidation(p *apiextensionsv1.JSONSchemaProps, s *spec.Schema) error {
	s.Format = p.Format
	s.Maximum = p.Maximum
	s.ExclusiveMaximum = p.ExclusiveMaximum
	s.Minimum = p.Minimum
	s.ExclusiveMinimum = p.ExclusiveMinimum
	s.MaxLength = p.MaxLength
	s.MinLength = p.MinLength
	s.Pattern = p.Pattern
	s.MaxItems = p.MaxItems
	s.MinItems = p.MinItems
	s.UniqueItems = p.UniqueItems
	s.MultipleOf = p.MultipleOf
	s.MaxProperties = p.MaxProperties
	s.MinProperties = p.MinProperties
	s.Required = append([]string(nil), p.Required...)
	if len(s.Required) == 0 {
		s.Required = nil
	}
	for i := range p.Enum {
		v, err := decodeJSON(&p.Enum[i])
		if err != nil {
			return err
		}
		s.Enum = append(s.Enum, v)
	}
	junctors := []struct {
		in  []apiextensionsv1.JSONSchemaProps
		out *[]spec.Schema
	}{{p.AllOf, &s.AllOf}, {p.AnyOf, &s.AnyOf}, {p.OneOf, &s.OneOf}}
	for _, j := range junctors {
		for i := range j.in {
			c, err := convertSchema(&j.in[i], true)
			if err != nil {
				return err
			}
			*j.out = append(*j.out, *c)
		}
	}
	not, err := convertSchema(p.Not, true)
	if err != nil {
		return err
	}
	s.Not = not
	return nil
}

// copyExtensions publishes the x-kubernetes-* fields with the value types upstream
// uses (bool, string, []string, v1.ValidationRules).
func copyExtensions(p *apiextensionsv1.JSONSchemaProps, s *spec.Schema) error {
	if p.XPreserveUnknownFields != nil && *p.XPreserveUnknownFields {
		s.AddExtension(extPreserveUnknownFields, true)
	}
	if p.XEmbeddedResource {
		s.AddExtension(extEmbeddedResource, true)
	}
	if p.XIntOrString {
		s.AddExtension(extIntOrString, true)
	}
	if len(p.XListMapKeys) > 0 {
		s.AddExtension(extListMapKeys, append([]string(nil), p.XListMapKeys...))
	}
	if p.XListType != nil {
		s.AddExtension(extListType, *p.XListType)
	}
	if p.XMapType != nil {
		s.AddExtension(extMapType, *p.XMapType)
	}
	if len(p.XValidations) > 0 {
		s.AddExtension(extValidations, p.XValidations.DeepCopy())
	}
	return nil
}

var nullLiteral = []byte("null")

// decodeJSON decodes a default, example or enum value the way the apiextensions
// conversions do: integers stay int64, and an absent or null value is nil.
func decodeJSON(v *apiextensionsv1.JSON) (any, error) {
	if v == nil || len(v.Raw) == 0 || bytes.Equal(v.Raw, nullLiteral) {
		return nil, nil
	}
	var out any
	if err := json.Unmarshal(v.Raw, &out); err != nil {
		return nil, fmt.Errorf("%w: %v", errNotStructural, err)
	}
	return out, nil
}

// isPreserveUnknown reports x-kubernetes-preserve-unknown-fields: true.
func isPreserveUnknown(s *spec.Schema) bool {
	v, _ := s.Extensions.GetBool(extPreserveUnknownFields)
	return v
}

// isTrue reports whether a boolean extension is set.
func isTrue(s *spec.Schema, ext string) bool {
	v, _ := s.Extensions.GetBool(ext)
	return v
}

// visitStructural calls fn on s and then on every schema below it that describes
// a value (items, properties, additionalProperties), but not inside the junctors;
// fn may replace any field of the schema it is given.
func visitStructural(s *spec.Schema, fn func(*spec.Schema)) {
	if s == nil {
		return
	}
	fn(s)
	if s.Items != nil {
		visitStructural(s.Items.Schema, fn)
	}
	for name, prop := range s.Properties {
		visitStructural(&prop, fn)
		s.Properties[name] = prop
	}
	if s.AdditionalProperties != nil {
		visitStructural(s.AdditionalProperties.Schema, fn)
	}
}
