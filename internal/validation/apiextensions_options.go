package validation

import (
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/apiextensions/schema"
)

// crdOptions are the rules a CRD write is held to. Create holds it to all of
// them; an update relaxes a rule the stored object already broke, so that CRDs
// written by older servers stay updatable (upstream's ratcheting).
type crdOptions struct {
	requireRecognizedConversionReviewVersion bool
	// requireImmutableNames freezes scope and kind once the CRD is Established.
	requireImmutableNames    bool
	requireOpenAPISchema     bool
	requireValidPropertyType bool
	requireStructuralSchema  bool
	requirePrunedDefaults    bool
	requireAtomicSetType     bool
	requireMapListKeysMapSet bool
	allowInvalidCABundle     bool
	unchangedSchemas         map[string]bool
	// unchangedSchema is set by forVersion for a version whose schema the update
	// leaves as it was: its rules are not held to the per-expression cost limit.
	unchangedSchema bool
	// allowTooManySelectableFields is keyed by version ("" for the top level).
	allowTooManySelectableFields map[string]bool
}

func createOptions() crdOptions {
	return crdOptions{
		requireRecognizedConversionReviewVersion: true,
		requireOpenAPISchema:                     true,
		requireValidPropertyType:                 true,
		requireStructuralSchema:                  true,
		requirePrunedDefaults:                    true,
		requireAtomicSetType:                     true,
		requireMapListKeysMapSet:                 true,
		// nothing serves the CRD yet, so a bad CA bundle cannot break anything.
		allowInvalidCABundle: true,
	}
}

func updateOptions(crd, old *apiextensions.CustomResourceDefinition) crdOptions {
	oldSpec := &old.Spec
	return crdOptions{
		requireRecognizedConversionReviewVersion: old.Spec.Conversion == nil || hasRecognizedReviewVersionOrEmpty(old.Spec.Conversion.ConversionReviewVersions),
		requireImmutableNames:                    apiextensions.IsCRDConditionTrue(old, apiextensions.Established),
		requireOpenAPISchema:                     allVersionsHaveSchema(oldSpec),
		requireValidPropertyType:                 !crdSpecHasSchemaWith(oldSpec, schemaHasInvalidType),
		requireStructuralSchema:                  !crdSpecHasSchemaWith(oldSpec, schemaIsNonStructural),
		requirePrunedDefaults:                    !crdSpecHasSchemaWith(oldSpec, schemaHasUnprunedDefaults),
		requireAtomicSetType:                     !crdSpecHasSchemaWith(oldSpec, schemaHasNonAtomicSetItems),
		requireMapListKeysMapSet:                 !crdSpecHasSchemaWith(oldSpec, schemaHasInvalidMapListKeysMapSet),
		allowInvalidCABundle:                     allowInvalidCABundle(old),
		unchangedSchemas:                         versionsWithUnchangedSchemas(crd, old),
		allowTooManySelectableFields:             tooManySelectableFieldsAllowed(crd, old),
	}
}

// forVersion returns the options for validating one version's schema.
func (o crdOptions) forVersion(name string) crdOptions {
	o.unchangedSchema = o.unchangedSchemas[name]
	return o
}

func allVersionsHaveSchema(spec *apiextensions.CustomResourceDefinitionSpec) bool {
	if spec.Validation != nil && spec.Validation.OpenAPIV3Schema != nil {
		return true
	}
	for _, v := range spec.Versions {
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			return false
		}
	}
	return true
}

// versionsWithUnchangedSchemas names the versions whose effective schema is the
// same before and after the update.
func versionsWithUnchangedSchemas(crd, old *apiextensions.CustomResourceDefinition) map[string]bool {
	out := map[string]bool{}
	for _, v := range crd.Spec.Versions {
		s, err := apiextensions.GetSchemaForVersion(crd, v.Name)
		if err != nil {
			continue
		}
		o, err := apiextensions.GetSchemaForVersion(old, v.Name)
		if err != nil {
			continue
		}
		if equality.Semantic.DeepEqual(s, o) {
			out[v.Name] = true
		}
	}
	return out
}

// tooManySelectableFieldsAllowed lets a CRD keep more selectable fields than the
// limit where it already had them and does not change them.
func tooManySelectableFieldsAllowed(crd, old *apiextensions.CustomResourceDefinition) map[string]bool {
	out := map[string]bool{}
	if len(old.Spec.SelectableFields) > maxSelectableFields && equality.Semantic.DeepEqual(crd.Spec.SelectableFields, old.Spec.SelectableFields) {
		out[""] = true
	}
	oldFields := map[string][]apiextensions.SelectableField{}
	for _, v := range old.Spec.Versions {
		oldFields[v.Name] = v.SelectableFields
	}
	for _, v := range crd.Spec.Versions {
		if of, ok := oldFields[v.Name]; ok && len(of) > maxSelectableFields && equality.Semantic.DeepEqual(v.SelectableFields, of) {
			out[v.Name] = true
		}
	}
	return out
}

// crdSpecHasSchemaWith reports whether any schema of the spec has a node for
// which pred holds.
func crdSpecHasSchemaWith(spec *apiextensions.CustomResourceDefinitionSpec, pred func(*apiextensions.JSONSchemaProps) bool) bool {
	if spec.Validation != nil && spec.Validation.OpenAPIV3Schema != nil && pred(spec.Validation.OpenAPIV3Schema) {
		return true
	}
	for _, v := range spec.Versions {
		if v.Schema != nil && v.Schema.OpenAPIV3Schema != nil && pred(v.Schema.OpenAPIV3Schema) {
			return true
		}
	}
	return false
}

// schemaAnyNode reports whether pred holds for s or any schema nested in it.
func schemaAnyNode(s *apiextensions.JSONSchemaProps, pred func(*apiextensions.JSONSchemaProps) bool) bool {
	if s == nil {
		return false
	}
	if pred(s) {
		return true
	}
	if s.Items != nil {
		if schemaAnyNode(s.Items.Schema, pred) {
			return true
		}
		for i := range s.Items.JSONSchemas {
			if schemaAnyNode(&s.Items.JSONSchemas[i], pred) {
				return true
			}
		}
	}
	for _, list := range [][]apiextensions.JSONSchemaProps{s.AllOf, s.AnyOf, s.OneOf} {
		for i := range list {
			if schemaAnyNode(&list[i], pred) {
				return true
			}
		}
	}
	if schemaAnyNode(s.Not, pred) {
		return true
	}
	for _, m := range []map[string]apiextensions.JSONSchemaProps{s.Properties, s.PatternProperties, s.Definitions} {
		for k := range m {
			c := m[k]
			if schemaAnyNode(&c, pred) {
				return true
			}
		}
	}
	if s.AdditionalProperties != nil && schemaAnyNode(s.AdditionalProperties.Schema, pred) {
		return true
	}
	if s.AdditionalItems != nil && schemaAnyNode(s.AdditionalItems.Schema, pred) {
		return true
	}
	for _, d := range s.Dependencies {
		if schemaAnyNode(d.Schema, pred) {
			return true
		}
	}
	return false
}

func schemaHasDefault(s *apiextensions.JSONSchemaProps) bool {
	return schemaAnyNode(s, func(n *apiextensions.JSONSchemaProps) bool { return n.Default != nil })
}

func schemaHasKubernetesExtensions(s *apiextensions.JSONSchemaProps) bool {
	return schemaAnyNode(s, func(n *apiextensions.JSONSchemaProps) bool {
		return n.XEmbeddedResource || n.XPreserveUnknownFields != nil || n.XIntOrString ||
			len(n.XListMapKeys) > 0 || n.XListType != nil || len(n.XValidations) > 0
	})
}

func schemaHasInvalidType(s *apiextensions.JSONSchemaProps) bool {
	return schemaAnyNode(s, func(n *apiextensions.JSONSchemaProps) bool {
		return n.Type != "" && !openAPIV3Types[n.Type]
	})
}

// schemaIsNonStructural runs the structural checks on a stored schema.
func schemaIsNonStructural(s *apiextensions.JSONSchemaProps) bool {
	v1, err := schemaToV1(s)
	if err != nil {
		return true
	}
	return schema.StructuralInitError(v1) != nil || len(schema.ValidateStructural(v1, nil)) > 0
}

// schemaHasUnprunedDefaults reports stored defaults that pruning would change.
func schemaHasUnprunedDefaults(s *apiextensions.JSONSchemaProps) bool {
	if !schemaHasDefault(s) || schemaIsNonStructural(s) {
		return false
	}
	v1, err := schemaToV1(s)
	return err == nil && schema.HasUnprunedDefaults(v1)
}

// schemaHasNonAtomicSetItems finds x-kubernetes-list-type=set lists whose items
// are not atomic.
func schemaHasNonAtomicSetItems(s *apiextensions.JSONSchemaProps) bool {
	return schemaAnyNode(s, func(n *apiextensions.JSONSchemaProps) bool {
		if n.XListType == nil || *n.XListType != "set" || n.Items == nil || n.Items.Schema == nil {
			return false
		}
		is := n.Items.Schema
		switch is.Type {
		case "array":
			return is.XListType != nil && *is.XListType != "atomic"
		case "object":
			return is.XMapType == nil || *is.XMapType != "atomic"
		}
		return false
	})
}

func schemaHasInvalidMapListKeysMapSet(s *apiextensions.JSONSchemaProps) bool {
	return schemaAnyNode(s, func(n *apiextensions.JSONSchemaProps) bool {
		return len(mapListKeysMapSet(n, field.NewPath(""))) > 0
	})
}
