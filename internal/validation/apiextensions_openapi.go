package validation

import (
	"regexp"
	"slices"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// openAPIV3Types are the JSON-Schema types a CRD schema may name.
var (
	openAPIV3Types     = map[string]bool{"array": true, "boolean": true, "integer": true, "number": true, "object": true, "string": true}
	openAPIV3TypeNames = []string{"array", "boolean", "integer", "number", "object", "string"}
	resourceMetaFields = map[string]bool{"apiVersion": true, "kind": true, "metadata": true}
	ruleReasons        = []string{"FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"}
	ruleLineBreaks     = regexp.MustCompile(`[\n\r]+`)
)

// schemaContext is what a schema node inherits from where it sits.
type schemaContext struct {
	allowDefaults          bool
	disallowDefaultsReason string
	// insideResourceMeta is set under apiVersion, kind and metadata of a
	// resource (the root or an embedded one).
	insideResourceMeta bool
}

func (c schemaContext) forbidDefaults(reason string) schemaContext {
	c.allowDefaults, c.disallowDefaultsReason = false, reason
	return c
}

// openAPIWalker checks the OpenAPI v3 subset CRD schemas may use, node by node.
// x-kubernetes-validations field errors are kept apart: the CEL compiler reports
// them itself when it runs.
type openAPIWalker struct {
	opts     crdOptions
	errs     field.ErrorList
	ruleErrs field.ErrorList
}

func (w *openAPIWalker) add(e ...*field.Error) { w.errs = append(w.errs, e...) }

func (w *openAPIWalker) walk(s *apiextensions.JSONSchemaProps, p *field.Path, ctx schemaContext, isRoot bool) {
	if s == nil {
		return
	}
	w.node(s, p, ctx)
	if s.UniqueItems {
		w.add(field.Forbidden(p.Child("uniqueItems"), "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"))
	}
	if s.AdditionalProperties != nil {
		// properties describe structs, additionalProperties maps; both at once
		// would contradict ignoring unknown fields.
		if len(s.Properties) != 0 && (!s.AdditionalProperties.Allows || s.AdditionalProperties.Schema != nil) {
			w.add(field.Forbidden(p.Child("additionalProperties"), "additionalProperties and properties are mutual exclusive"))
		}
		sub := ctx
		if ctx.insideResourceMeta {
			// pruning such a default would be ambiguous.
			sub = ctx.forbidDefaults("inside additionalProperties applying to object metadata")
		}
		w.walk(s.AdditionalProperties.Schema, p.Child("additionalProperties"), sub, false)
	}
	for _, name := range sortedKeys(s.Properties) {
		sub := ctx
		if (isRoot || s.XEmbeddedResource) && resourceMetaFields[name] {
			sub.insideResourceMeta = true
			if isRoot {
				sub = sub.forbidDefaults("in top-level " + name)
			}
		}
		child := s.Properties[name]
		w.walk(&child, p.Child("properties").Key(name), sub, false)
	}
	w.walk(s.Not, p.Child("not"), ctx, false)
	for i := range s.AllOf {
		w.walk(&s.AllOf[i], p.Child("allOf").Index(i), ctx, false)
	}
	for i := range s.OneOf {
		w.walk(&s.OneOf[i], p.Child("oneOf").Index(i), ctx, false)
	}
	for i := range s.AnyOf {
		w.walk(&s.AnyOf[i], p.Child("anyOf").Index(i), ctx, false)
	}
	for _, name := range sortedKeys(s.Definitions) {
		d := s.Definitions[name]
		w.walk(&d, p.Child("definitions").Key(name), ctx, false)
	}
	if s.Items != nil {
		w.walk(s.Items.Schema, p.Child("items"), ctx, false)
		for i := range s.Items.JSONSchemas {
			w.walk(&s.Items.JSONSchemas[i], p.Child("items").Index(i), ctx, false)
		}
	}
	for _, name := range sortedKeys(map[string]apiextensions.JSONSchemaPropsOrStringArray(s.Dependencies)) {
		w.walk(s.Dependencies[name].Schema, p.Child("dependencies").Key(name), ctx, false)
	}
	if s.XPreserveUnknownFields != nil && !*s.XPreserveUnknownFields {
		w.add(field.Invalid(p.Child("x-kubernetes-preserve-unknown-fields"), *s.XPreserveUnknownFields, "must be true or undefined"))
	}
	w.mapAndListTypes(s, p)
	if w.opts.requireMapListKeysMapSet {
		w.add(mapListKeysMapSet(s, p)...)
	}
	w.ruleFields(s, p)
}

// node checks what one schema node may hold, whatever its children.
func (w *openAPIWalker) node(s *apiextensions.JSONSchemaProps, p *field.Path, ctx schemaContext) {
	if w.opts.requireValidPropertyType && s.Type != "" && !openAPIV3Types[s.Type] {
		w.add(field.NotSupported(p.Child("type"), s.Type, openAPIV3TypeNames))
	}
	if s.Default != nil && !ctx.allowDefaults {
		detail := "must not be set"
		if ctx.disallowDefaultsReason != "" {
			detail += " " + ctx.disallowDefaultsReason
		}
		w.add(field.Forbidden(p.Child("default"), detail))
	}
	unsupported := []struct {
		set  bool
		name string
	}{
		{s.ID != "", "id"},
		{s.AdditionalItems != nil, "additionalItems"},
		{len(s.PatternProperties) != 0, "patternProperties"},
		{len(s.Definitions) != 0, "definitions"},
		{s.Dependencies != nil, "dependencies"},
		{s.Ref != nil, "$ref"},
	}
	for _, u := range unsupported {
		if u.set {
			w.add(field.Forbidden(p.Child(u.name), u.name+" is not supported"))
		}
	}
	if s.Type == "null" {
		w.add(field.Forbidden(p.Child("type"), "type cannot be set to null, use nullable as an alternative"))
	}
	if s.Items != nil && len(s.Items.JSONSchemas) != 0 {
		w.add(field.Forbidden(p.Child("items"), "items must be a schema object and not an array"))
	}
	if ctx.insideResourceMeta && s.XEmbeddedResource {
		w.add(field.Forbidden(p.Child("x-kubernetes-embedded-resource"), "must not be used inside of resource meta"))
	}
}

// mapAndListTypes checks x-kubernetes-map-type, -list-type and -list-map-keys.
func (w *openAPIWalker) mapAndListTypes(s *apiextensions.JSONSchemaProps, p *field.Path) {
	if s.XMapType != nil && s.Type != "object" {
		if s.Type == "" {
			w.add(field.Required(p.Child("type"), "must be object if x-kubernetes-map-type is specified"))
		} else {
			w.add(field.Invalid(p.Child("type"), s.Type, "must be object if x-kubernetes-map-type is specified"))
		}
	}
	if s.XMapType != nil && *s.XMapType != "atomic" && *s.XMapType != "granular" {
		w.add(field.NotSupported(p.Child("x-kubernetes-map-type"), *s.XMapType, []string{"atomic", "granular"}))
	}
	switch {
	case s.XListType != nil && s.Type != "array":
		if s.Type == "" {
			w.add(field.Required(p.Child("type"), "must be array if x-kubernetes-list-type is specified"))
		} else {
			w.add(field.Invalid(p.Child("type"), s.Type, "must be array if x-kubernetes-list-type is specified"))
		}
	case w.opts.requireAtomicSetType && s.XListType != nil && *s.XListType == "set" && s.Items != nil && s.Items.Schema != nil:
		is := s.Items.Schema
		switch is.Type {
		case "array":
			if is.XListType != nil && *is.XListType != "atomic" {
				w.add(field.Invalid(p.Child("items").Child("x-kubernetes-list-type"), is.XListType, "must be atomic as item of a list with x-kubernetes-list-type=set"))
			}
		case "object":
			if is.XMapType == nil || *is.XMapType != "atomic" {
				// upstream reports the items' list type as the value here.
				w.add(field.Invalid(p.Child("items").Child("x-kubernetes-map-type"), is.XListType, "must be atomic as item of a list with x-kubernetes-list-type=set"))
			}
		}
	}
	if s.XListType != nil && *s.XListType != "atomic" && *s.XListType != "set" && *s.XListType != "map" {
		w.add(field.NotSupported(p.Child("x-kubernetes-list-type"), *s.XListType, []string{"atomic", "set", "map"}))
	}
	if len(s.XListMapKeys) > 0 {
		if s.XListType == nil {
			w.add(field.Required(p.Child("x-kubernetes-list-type"), "must be map if x-kubernetes-list-map-keys is non-empty"))
		} else if *s.XListType != "map" {
			w.add(field.Invalid(p.Child("x-kubernetes-list-type"), *s.XListType, "must be map if x-kubernetes-list-map-keys is non-empty"))
		}
	}
	if s.XListType == nil || *s.XListType != "map" {
		return
	}
	if len(s.XListMapKeys) == 0 {
		w.add(field.Required(p.Child("x-kubernetes-list-map-keys"), "must not be empty if x-kubernetes-list-type is map"))
	}
	if s.Items == nil {
		w.add(field.Required(p.Child("items"), "must have a schema if x-kubernetes-list-type is map"))
		return
	}
	if s.Items.Schema == nil {
		w.add(field.Invalid(p.Child("items"), s.Items, "must only have a single schema if x-kubernetes-list-type is map"))
		return
	}
	if s.Items.Schema.Type != "object" {
		w.add(field.Invalid(p.Child("items").Child("type"), s.Items.Schema.Type, "must be object if parent array's x-kubernetes-list-type is map"))
		return
	}
	seen := map[string]bool{}
	for _, k := range s.XListMapKeys {
		if ks, ok := s.Items.Schema.Properties[k]; ok {
			if ks.Type == "array" || ks.Type == "object" {
				// upstream reports the items' type as the value here.
				w.add(field.Invalid(p.Child("items").Child("properties").Key(k).Child("type"), s.Items.Schema.Type, "must be a scalar type if parent array's x-kubernetes-list-type is map"))
			}
		} else {
			w.add(field.Invalid(p.Child("x-kubernetes-list-map-keys"), s.XListMapKeys, "entries must all be names of item properties"))
		}
		if seen[k] {
			w.add(field.Invalid(p.Child("x-kubernetes-list-map-keys"), s.XListMapKeys, "must not contain duplicate entries"))
		}
		seen[k] = true
	}
}

// mapListKeysMapSet requires set and map list items to be non-nullable and map
// keys to be required or defaulted, and non-nullable.
func mapListKeysMapSet(s *apiextensions.JSONSchemaProps, p *field.Path) field.ErrorList {
	if s.Items == nil || s.Items.Schema == nil || s.XListType == nil || (*s.XListType != "set" && *s.XListType != "map") {
		return nil
	}
	var errs field.ErrorList
	if s.Items.Schema.Nullable {
		errs = append(errs, field.Forbidden(p.Child("items").Child("nullable"), "cannot be nullable when x-kubernetes-list-type is "+*s.XListType))
	}
	if *s.XListType != "map" {
		return errs
	}
	for _, k := range s.XListMapKeys {
		ks, ok := s.Items.Schema.Properties[k]
		if !ok {
			continue // reported by mapAndListTypes
		}
		kp := p.Child("items").Child("properties").Key(k)
		if !slices.Contains(s.Items.Schema.Required, k) && ks.Default == nil {
			errs = append(errs, field.Required(kp.Child("default"), "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"))
		}
		if ks.Nullable {
			errs = append(errs, field.Forbidden(kp.Child("nullable"), "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"))
		}
	}
	return errs
}

// ruleFields checks the parts of x-kubernetes-validations that need no
// compiling, for schemas the CEL compiler does not get to see.
func (w *openAPIWalker) ruleFields(s *apiextensions.JSONSchemaProps, p *field.Path) {
	for i, rule := range s.XValidations {
		rp := p.Child("x-kubernetes-validations").Index(i)
		rule, msg := strings.TrimSpace(rule.Rule), strings.TrimSpace(rule.Message)
		r := s.XValidations[i]
		switch {
		case rule == "":
			w.ruleErrs = append(w.ruleErrs, field.Required(rp.Child("rule"), "rule is not specified"))
		case r.Message != "" && msg == "":
			w.ruleErrs = append(w.ruleErrs, field.Invalid(rp.Child("message"), r.Message, "must be non-empty if specified"))
		case ruleLineBreaks.MatchString(msg):
			w.ruleErrs = append(w.ruleErrs, field.Invalid(rp.Child("message"), r.Message, "must not contain line breaks"))
		case ruleLineBreaks.MatchString(rule) && msg == "":
			w.ruleErrs = append(w.ruleErrs, field.Required(rp.Child("message"), "message must be specified if rule contains line breaks"))
		}
		if r.MessageExpression != "" && strings.TrimSpace(r.MessageExpression) == "" {
			w.ruleErrs = append(w.ruleErrs, field.Required(rp.Child("messageExpression"), "messageExpression must be non-empty if specified"))
		}
		if r.Reason != nil && !slices.Contains(ruleReasons, string(*r.Reason)) {
			w.ruleErrs = append(w.ruleErrs, field.NotSupported(rp.Child("reason"), *r.Reason, ruleReasons))
		}
		if r.FieldPath != "" && strings.TrimSpace(r.FieldPath) == "" {
			w.ruleErrs = append(w.ruleErrs, field.Invalid(rp.Child("fieldPath"), r.FieldPath, "must be non-empty if specified"))
		}
		if ruleLineBreaks.MatchString(r.FieldPath) {
			w.ruleErrs = append(w.ruleErrs, field.Invalid(rp.Child("fieldPath"), r.FieldPath, "must not contain line breaks"))
		}
	}
}
