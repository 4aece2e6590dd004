package crdopenapi

import (
	"fmt"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Format is the OpenAPI version a definition is built for; the two differ in where
// references point and in what the schema may say.
type Format int

const (
	// V3 is the form of /openapi/v3 and of server-side apply.
	V3 Format = iota
	// V2 is the form of /openapi/v2.
	V2
)

func (f Format) ref(name string) string {
	if f == V2 {
		return "#/definitions/" + name
	}
	return "#/components/schemas/" + name
}

// Names of the built-in definitions a custom kind refers to.
const (
	ObjectMetaName = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
	listMetaName   = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
)

// Descriptions upstream gives the fields it adds to a custom kind.
const (
	embeddedAPIVersionDescription = "apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"
	embeddedKindDescription       = "kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
)

// ModelName is the definition name of a custom kind: its group reversed, then the
// version and the kind ("com.example.stable.v1.CronTab" for stable.example.com).
func ModelName(group, version, kind string) string {
	parts := strings.Split(group, ".")
	slices.Reverse(parts)
	return strings.Join(parts, ".") + "." + version + "." + kind
}

// FindVersion returns the named version of crd, or nil.
func FindVersion(crd *apiextensionsv1.CustomResourceDefinition, version string) *apiextensionsv1.CustomResourceDefinitionVersion {
	for i := range crd.Spec.Versions {
		if crd.Spec.Versions[i].Name == version {
			return &crd.Spec.Versions[i]
		}
	}
	return nil
}

// Definitions returns the definitions of the kind and the list kind of one version
// of crd, keyed by ModelName, ready for kube-openapi's builders: the kind depends
// on ObjectMeta; both carry x-kubernetes-group-version-kind and, when the version
// declares them, x-kubernetes-selectable-fields. A schema that is not structural is
// published as a plain object rather than failing, as upstream does. crd is not
// modified and shares nothing with the result.
func Definitions(crd *apiextensionsv1.CustomResourceDefinition, version string, f Format) (map[string]common.OpenAPIDefinition, error) {
	if crd == nil {
		return nil, fmt.Errorf("crdopenapi: no CustomResourceDefinition")
	}
	v := FindVersion(crd, version)
	if v == nil {
		return nil, fmt.Errorf("crdopenapi: version %s not found in CustomResourceDefinition %s", version, crd.Name)
	}
	names := crd.Spec.Names
	if crd.Spec.Group == "" || names.Kind == "" || names.ListKind == "" || names.Plural == "" {
		return nil, fmt.Errorf("crdopenapi: CustomResourceDefinition %s lacks its group or names", crd.Name)
	}
	kind := kindSchema(crd, v, f)
	list := listSchema(crd, v, f)
	return map[string]common.OpenAPIDefinition{
		ModelName(crd.Spec.Group, v.Name, names.Kind):     {Schema: *kind, Dependencies: []string{ObjectMetaName}},
		ModelName(crd.Spec.Group, v.Name, names.ListKind): {Schema: *list},
	}, nil
}

// kindSchema is the CRD's schema with metadata, apiVersion and kind described the
// way built-in kinds describe them.
func kindSchema(crd *apiextensionsv1.CustomResourceDefinition, v *apiextensionsv1.CustomResourceDefinitionVersion, f Format) *spec.Schema {
	var s *spec.Schema
	if v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
		if converted, err := convertSchema(v.Schema.OpenAPIV3Schema, false); err == nil {
			s = converted
		}
	}
	switch {
	case s == nil:
		// Without a schema (or with one kapi cannot publish) any fields are fine;
		// listing some would make kubectl refuse the others.
		s = objectSchema()
	case f == V2 && (isPreserveUnknown(s) || crd.Spec.PreserveUnknownFields):
		// v2 has no way to say "these fields and any others", and kubectl would
		// reject unknown fields of a typed object.
		s = objectSchema()
	default:
		unfold(s)
		if f == V2 {
			toV2(s)
		}
		s.SetProperty("metadata", metadataProperty(f))
		addTypeMeta(s)
		addEmbeddedMeta(s, f)
	}
	s.AddExtension(extGVK, []any{map[string]any{
		"group": crd.Spec.Group, "version": v.Name, "kind": crd.Spec.Names.Kind,
	}})
	if fields := selectableFields(v); fields != nil {
		s.AddExtension(extSelectableFields, fields)
	}
	return s
}

// listSchema describes the list kind: items of the kind, ListMeta and type meta.
func listSchema(crd *apiextensionsv1.CustomResourceDefinition, v *apiextensionsv1.CustomResourceDefinitionVersion, f Format) *spec.Schema {
	names := crd.Spec.Names
	items := spec.ArrayProperty(spec.RefSchema(f.ref(ModelName(crd.Spec.Group, v.Name, names.Kind)))).
		WithDescription(fmt.Sprintf("List of %s. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md", names.Plural))
	listMeta := spec.RefSchema(f.ref(listMetaName)).
		WithDescription(metav1.PartialObjectMetadataList{}.SwaggerDoc()["metadata"])
	s := new(spec.Schema).
		Typed("object", "").
		WithDescription(fmt.Sprintf("%s is a list of %s", names.ListKind, names.Kind)).
		WithRequired("items").
		SetProperty("items", *items).
		SetProperty("metadata", *listMeta)
	addTypeMeta(s)
	s.AddExtension(extGVK, []map[string]string{{
		"group": crd.Spec.Group, "version": v.Name, "kind": names.ListKind,
	}})
	if fields := selectableFields(v); fields != nil {
		s.AddExtension(extSelectableFields, fields)
	}
	return s
}

func objectSchema() *spec.Schema {
	return &spec.Schema{SchemaProps: spec.SchemaProps{Type: spec.StringOrArray{"object"}}}
}

func metadataProperty(f Format) spec.Schema {
	return *spec.RefSchema(f.ref(ObjectMetaName)).WithDescription(metav1.PartialObjectMetadata{}.SwaggerDoc()["metadata"])
}

// typeMetaProperty is TypeMeta's schema of field name (apiVersion or kind).
func typeMetaProperty(name string) spec.Schema {
	return spec.Schema{SchemaProps: spec.SchemaProps{
		Description: metav1.TypeMeta{}.SwaggerDoc()[name],
		Type:        spec.StringOrArray{"string"},
	}}
}

func addTypeMeta(s *spec.Schema) {
	s.SetProperty("apiVersion", typeMetaProperty("apiVersion"))
	s.SetProperty("kind", typeMetaProperty("kind"))
}

// addEmbeddedMeta gives every x-kubernetes-embedded-resource object below s its
// apiVersion, kind and metadata, and requires apiVersion and kind. In v2, objects
// that keep unknown fields are left alone: typed fields would make kubectl reject
// the unknown ones.
func addEmbeddedMeta(s *spec.Schema, f Format) {
	if s == nil {
		return
	}
	for name, prop := range s.Properties {
		addEmbeddedMeta(&prop, f)
		s.Properties[name] = prop
	}
	if s.Items != nil {
		addEmbeddedMeta(s.Items.Schema, f)
	}
	if s.AdditionalProperties != nil {
		addEmbeddedMeta(s.AdditionalProperties.Schema, f)
	}
	if f == V2 && isPreserveUnknown(s) {
		return
	}
	if !isTrue(s, extEmbeddedResource) {
		return
	}
	apiVersion := typeMetaProperty("apiVersion")
	apiVersion.Description = embeddedAPIVersionDescription
	kind := typeMetaProperty("kind")
	kind.Description = embeddedKindDescription
	s.SetProperty("apiVersion", apiVersion)
	s.SetProperty("kind", kind)
	s.SetProperty("metadata", metadataProperty(f))
	hasKind, hasAPIVersion := slices.Contains(s.Required, "kind"), slices.Contains(s.Required, "apiVersion")
	if !hasKind {
		s.Required = append(s.Required, "kind")
	}
	if !hasAPIVersion {
		s.Required = append(s.Required, "apiVersion")
	}
}

// selectableFields lists the version's selectable fields as field paths without
// the leading dot; nil when there are none.
func selectableFields(v *apiextensionsv1.CustomResourceDefinitionVersion) []any {
	if len(v.SelectableFields) == 0 {
		return nil
	}
	out := make([]any, 0, len(v.SelectableFields))
	for _, sf := range v.SelectableFields {
		out = append(out, map[string]any{"fieldPath": strings.TrimPrefix(sf.JSONPath, ".")})
	}
	return out
}
