package schema

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// level says where a schema sits, which changes some structural rules.
type level int

const (
	rootLevel level = iota
	itemLevel
	fieldLevel
)

// StructuralInitError reports the JSON-Schema features a structural schema
// cannot have at all ($ref, patternProperties, items arrays, ...), with
// kube-apiserver's message. Upstream reports it as
// field.Invalid(<openAPIV3Schema path>, "", err.Error()) and only when the CRD
// has no other validation error. ValidateStructural and ValidateDefaults
// return nothing for such a schema.
func StructuralInitError(props *apiextensionsv1.JSONSchemaProps) error {
	if props == nil {
		return nil
	}
	internal, err := toInternal(props)
	if err != nil {
		return err
	}
	_, err = buildNode(internal)
	return err
}

// ValidateStructural returns kube-apiserver's structural-schema errors for a
// CRD version's schema at fldPath (spec.versions[i].schema.openAPIV3Schema),
// sorted by message like upstream.
func ValidateStructural(props *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) field.ErrorList {
	if props == nil {
		return nil
	}
	internal, err := toInternal(props)
	if err != nil {
		return nil
	}
	if _, err := buildNode(internal); err != nil {
		return nil
	}
	errs := structuralInvariants(internal, rootLevel, fldPath)
	errs = append(errs, valueValidationCompleteness(internal, internal, fldPath, fldPath)...)
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errs
}

func preserves(s *apiextensions.JSONSchemaProps) bool {
	return s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields
}

// structuralInvariants checks one structural level and everything below it.
func structuralInvariants(s *apiextensions.JSONSchemaProps, lvl level, fldPath *field.Path) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	var items *apiextensions.JSONSchemaProps
	if s.Items != nil {
		items = s.Items.Schema
	}
	if s.Type == "array" && items == nil {
		errs = append(errs, field.Required(fldPath.Child("items"), "must be specified"))
	}
	errs = append(errs, structuralInvariants(items, itemLevel, fldPath.Child("items"))...)
	for k := range s.Properties {
		p := s.Properties[k]
		errs = append(errs, structuralInvariants(&p, fieldLevel, fldPath.Child("properties").Key(k))...)
	}
	if s.AdditionalProperties != nil {
		if lvl == rootLevel {
			errs = append(errs, field.Forbidden(fldPath.Child("additionalProperties"), "must not be used at the root"))
		}
		errs = append(errs, structuralInvariants(s.AdditionalProperties.Schema, fieldLevel, fldPath.Child("additionalProperties"))...)
	}

	preserve := preserves(s)
	if s.XIntOrString && preserve {
		errs = append(errs, field.Invalid(fldPath.Child("x-kubernetes-preserve-unknown-fields"), true, "must be false if x-kubernetes-int-or-string is true"))
	}
	if s.XIntOrString && s.XEmbeddedResource {
		errs = append(errs, field.Invalid(fldPath.Child("x-kubernetes-embedded-resource"), true, "must be false if x-kubernetes-int-or-string is true"))
	}

	errs = append(errs, valueValidation(s, isIntOrStringAnyOf(s.AnyOf), isIntOrStringAllOf(s.AllOf), fldPath)...)

	checkMetadata := lvl == rootLevel || s.XEmbeddedResource
	switch {
	case s.XEmbeddedResource && s.Type != "object":
		if s.Type == "" {
			errs = append(errs, field.Required(fldPath.Child("type"), "must be object if x-kubernetes-embedded-resource is true"))
		} else {
			errs = append(errs, field.Invalid(fldPath.Child("type"), s.Type, "must be object if x-kubernetes-embedded-resource is true"))
		}
	case s.Type == "" && !s.XIntOrString && !preserve:
		switch lvl {
		case rootLevel:
			errs = append(errs, field.Required(fldPath.Child("type"), "must not be empty at the root"))
		case itemLevel:
			errs = append(errs, field.Required(fldPath.Child("type"), "must not be empty for specified array items"))
		case fieldLevel:
			errs = append(errs, field.Required(fldPath.Child("type"), "must not be empty for specified object fields"))
		}
	}
	if s.XEmbeddedResource && s.AdditionalProperties != nil {
		errs = append(errs, field.Forbidden(fldPath.Child("additionalProperties"), "must not be used if x-kubernetes-embedded-resource is set"))
	}
	if lvl == rootLevel && s.Type != "" && s.Type != "object" {
		errs = append(errs, field.Invalid(fldPath.Child("type"), s.Type, "must be object at the root"))
	}
	for _, k := range []string{"kind", "apiVersion"} {
		if p, found := s.Properties[k]; found && checkMetadata && p.Type != "string" {
			errs = append(errs, field.Invalid(fldPath.Child("properties").Key(k).Child("type"), p.Type, "must be string"))
		}
	}
	if m, found := s.Properties["metadata"]; found {
		errs = append(errs, metadataInvariants(&m, checkMetadata, lvl, fldPath.Child("properties").Key("metadata"))...)
	}
	if s.XEmbeddedResource && !preserve && len(s.Properties) == 0 {
		errs = append(errs, field.Required(fldPath.Child("properties"), "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"))
	}
	return errs
}

// metadataInvariants: metadata must be an object, and at the root it may only
// restrict name and generateName (and carry a type and default).
func metadataInvariants(m *apiextensions.JSONSchemaProps, checkMetadata bool, lvl level, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if checkMetadata && m.Type != "object" {
		errs = append(errs, field.Invalid(fldPath.Child("type"), m.Type, "must be object"))
	}
	if lvl != rootLevel {
		return errs
	}
	rest := *m
	_, hasName := rest.Properties["name"]
	_, hasGenerateName := rest.Properties["generateName"]
	if (hasName && hasGenerateName && len(rest.Properties) == 2) || ((hasName || hasGenerateName) && len(rest.Properties) == 1) {
		rest.Properties = nil
	}
	rest.Type = ""
	rest.Default = nil
	if !reflect.DeepEqual(normalizeEmpty(rest), apiextensions.JSONSchemaProps{}) {
		errs = append(errs, field.Forbidden(fldPath, "must not specify anything other than name and generateName, but metadata is implicitly specified"))
	}
	return errs
}

// normalizeEmpty maps empty-but-present collections to nil so a schema like
// {properties: {}} compares equal to an absent one, as in upstream's
// structural form.
func normalizeEmpty(s apiextensions.JSONSchemaProps) apiextensions.JSONSchemaProps {
	if len(s.Properties) == 0 {
		s.Properties = nil
	}
	if len(s.Required) == 0 {
		s.Required = nil
	}
	if len(s.Enum) == 0 {
		s.Enum = nil
	}
	if len(s.AllOf) == 0 {
		s.AllOf = nil
	}
	if len(s.AnyOf) == 0 {
		s.AnyOf = nil
	}
	if len(s.OneOf) == 0 {
		s.OneOf = nil
	}
	if len(s.XListMapKeys) == 0 {
		s.XListMapKeys = nil
	}
	if len(s.XValidations) == 0 {
		s.XValidations = nil
	}
	if s.XPreserveUnknownFields != nil && !*s.XPreserveUnknownFields {
		s.XPreserveUnknownFields = nil
	}
	return s
}

var intOrStringTypes = []string{"integer", "string"}

// isIntOrStringAnyOf detects anyOf: [{type: integer}, {type: string}], the
// one place a nested type is allowed.
func isIntOrStringAnyOf(anyOf []apiextensions.JSONSchemaProps) bool {
	if len(anyOf) != 2 {
		return false
	}
	for i, t := range intOrStringTypes {
		if !reflect.DeepEqual(normalizeEmpty(anyOf[i]), apiextensions.JSONSchemaProps{Type: t}) {
			return false
		}
	}
	return true
}

// isIntOrStringAllOf detects allOf whose first entry is the int-or-string anyOf.
func isIntOrStringAllOf(allOf []apiextensions.JSONSchemaProps) bool {
	return len(allOf) >= 1 && isIntOrStringAnyOf(allOf[0].AnyOf)
}

// valueValidation checks the junctors of a schema level: what they contain
// must be pure value validation.
func valueValidation(v *apiextensions.JSONSchemaProps, skipAnyOf, skipFirstAllOfAnyOf bool, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !skipAnyOf {
		for i := range v.AnyOf {
			errs = append(errs, nestedValueValidation(&v.AnyOf[i], false, fldPath.Child("anyOf").Index(i))...)
		}
	}
	for i := range v.AllOf {
		errs = append(errs, nestedValueValidation(&v.AllOf[i], skipFirstAllOfAnyOf && i == 0, fldPath.Child("allOf").Index(i))...)
	}
	for i := range v.OneOf {
		errs = append(errs, nestedValueValidation(&v.OneOf[i], false, fldPath.Child("oneOf").Index(i))...)
	}
	if v.Not != nil {
		errs = append(errs, nestedValueValidation(v.Not, false, fldPath.Child("not"))...)
	}
	if v.Pattern != "" {
		if _, err := regexp.Compile(v.Pattern); err != nil {
			errs = append(errs, field.Invalid(fldPath.Child("pattern"), v.Pattern, fmt.Sprintf("must be a valid regular expression, but isn't: %v", err)))
		}
	}
	return errs
}

// nestedValueValidation checks a schema under allOf/anyOf/oneOf/not: no
// types, defaults, descriptions, extensions or metadata.
func nestedValueValidation(v *apiextensions.JSONSchemaProps, skipAnyOf bool, fldPath *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	errs := valueValidation(v, skipAnyOf, false, fldPath)
	if v.Items != nil && v.Items.Schema != nil {
		errs = append(errs, nestedValueValidation(v.Items.Schema, false, fldPath.Child("items"))...)
	}
	for k := range v.Properties {
		p := v.Properties[k]
		errs = append(errs, nestedValueValidation(&p, false, fldPath.Child("properties").Key(k))...)
	}
	if v.Type != "" {
		errs = append(errs, field.Forbidden(fldPath.Child("type"), "must be empty to be structural"))
	}
	if v.AdditionalProperties != nil && (v.AdditionalProperties.Schema != nil || v.AdditionalProperties.Allows) {
		errs = append(errs, field.Forbidden(fldPath.Child("additionalProperties"), "must be undefined to be structural"))
	}
	if v.Default != nil && *v.Default != nil {
		errs = append(errs, field.Forbidden(fldPath.Child("default"), "must be undefined to be structural"))
	}
	if v.Title != "" {
		errs = append(errs, field.Forbidden(fldPath.Child("title"), "must be empty to be structural"))
	}
	if v.Description != "" {
		errs = append(errs, field.Forbidden(fldPath.Child("description"), "must be empty to be structural"))
	}
	if v.Nullable {
		errs = append(errs, field.Forbidden(fldPath.Child("nullable"), "must be false to be structural"))
	}
	if preserves(v) {
		errs = append(errs, field.Forbidden(fldPath.Child("x-kubernetes-preserve-unknown-fields"), "must be false to be structural"))
	}
	if v.XEmbeddedResource {
		errs = append(errs, field.Forbidden(fldPath.Child("x-kubernetes-embedded-resource"), "must be false to be structural"))
	}
	if v.XIntOrString {
		errs = append(errs, field.Forbidden(fldPath.Child("x-kubernetes-int-or-string"), "must be false to be structural"))
	}
	if len(v.XListMapKeys) > 0 {
		errs = append(errs, field.Forbidden(fldPath.Child("x-kubernetes-list-map-keys"), "must be empty to be structural"))
	}
	if v.XListType != nil {
		errs = append(errs, field.Forbidden(fldPath.Child("x-kubernetes-list-type"), "must be undefined to be structural"))
	}
	if v.XMapType != nil {
		errs = append(errs, field.Forbidden(fldPath.Child("x-kubernetes-map-type"), "must be undefined to be structural"))
	}
	if len(v.XValidations) > 0 {
		errs = append(errs, field.Forbidden(fldPath.Child("x-kubernetes-validations"), "must be empty to be structural"))
	}
	if _, found := v.Properties["metadata"]; found {
		errs = append(errs, field.Forbidden(fldPath.Child("properties").Key("metadata"), "must not be specified in a nested context"))
	}
	return errs
}

// valueValidationCompleteness checks that every property or items schema
// mentioned in the root's junctors also exists structurally.
func valueValidationCompleteness(v, s *apiextensions.JSONSchemaProps, sPath, vPath *field.Path) field.ErrorList {
	if s == nil {
		return field.ErrorList{field.Required(sPath, fmt.Sprintf("because it is defined in %s", vPath.String()))}
	}
	var errs field.ErrorList
	errs = append(errs, nestedCompleteness(v.Not, s, sPath, vPath.Child("not"))...)
	for i := range v.AllOf {
		errs = append(errs, nestedCompleteness(&v.AllOf[i], s, sPath, vPath.Child("allOf").Index(i))...)
	}
	for i := range v.AnyOf {
		errs = append(errs, nestedCompleteness(&v.AnyOf[i], s, sPath, vPath.Child("anyOf").Index(i))...)
	}
	for i := range v.OneOf {
		errs = append(errs, nestedCompleteness(&v.OneOf[i], s, sPath, vPath.Child("oneOf").Index(i))...)
	}
	return errs
}

func nestedCompleteness(v, s *apiextensions.JSONSchemaProps, sPath, vPath *field.Path) field.ErrorList {
	if v == nil {
		return nil
	}
	if s == nil {
		return field.ErrorList{field.Required(sPath, fmt.Sprintf("because it is defined in %s", vPath.String()))}
	}
	errs := valueValidationCompleteness(v, s, sPath, vPath)
	if v.Items != nil && v.Items.Schema != nil {
		var sItems *apiextensions.JSONSchemaProps
		if s.Items != nil {
			sItems = s.Items.Schema
		}
		errs = append(errs, nestedCompleteness(v.Items.Schema, sItems, sPath.Child("items"), vPath.Child("items"))...)
	}
	for k := range v.Properties {
		vFld := v.Properties[k]
		sFld, ok := s.Properties[k]
		if !ok {
			errs = append(errs, field.Required(sPath.Child("properties").Key(k), fmt.Sprintf("because it is defined in %s", vPath.Child("properties").Key(k))))
			continue
		}
		errs = append(errs, nestedCompleteness(&vFld, &sFld, sPath.Child("properties").Key(k), vPath.Child("properties").Key(k))...)
	}
	return errs
}
