package validation

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// crdSpec checks a CRD's spec in upstream's order: group, scope, schema
// presence, versions, names, top-level fields, conversion.
func crdSpec(spec *apiextensions.CustomResourceDefinitionSpec, opts crdOptions, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch {
	case spec.Group == "":
		errs = append(errs, field.Required(p.Child("group"), ""))
	case len(utilvalidation.IsDNS1123Subdomain(spec.Group)) > 0:
		errs = append(errs, field.Invalid(p.Child("group"), spec.Group, strings.Join(utilvalidation.IsDNS1123Subdomain(spec.Group), ",")))
	case !strings.Contains(spec.Group, "."):
		errs = append(errs, field.Invalid(p.Child("group"), spec.Group, "should be a domain with at least one dot"))
	}
	errs = append(errs, crdEnum(p.Child("scope"), string(spec.Scope), []string{string(apiextensions.ClusterScoped), string(apiextensions.NamespaceScoped)})...)

	pruning := spec.PreserveUnknownFields == nil || !*spec.PreserveUnknownFields
	if pruning {
		// pruning needs to know every field, which only a structural schema tells.
		opts.requireStructuralSchema = true
	}
	hasGlobalSchema := spec.Validation != nil && spec.Validation.OpenAPIV3Schema != nil
	if !hasGlobalSchema {
		for i, v := range spec.Versions {
			sp := p.Child("versions").Index(i).Child("schema", "openAPIV3Schema")
			missing := v.Schema == nil || v.Schema.OpenAPIV3Schema == nil
			switch {
			case opts.requireOpenAPISchema && missing:
				errs = append(errs, field.Required(sp, ""))
			case !opts.requireOpenAPISchema && pruning && v.Served && missing:
				errs = append(errs, field.Required(sp, "because otherwise all fields are pruned"))
			}
		}
	}
	if crdSpecHasSchemaWith(spec, schemaHasDefault) {
		opts.requireStructuralSchema = true
		if spec.PreserveUnknownFields == nil || *spec.PreserveUnknownFields {
			errs = append(errs, field.Invalid(p.Child("preserveUnknownFields"), true, "must be false in order to use defaults in the schema"))
		}
	}
	if crdSpecHasSchemaWith(spec, schemaHasKubernetesExtensions) {
		opts.requireStructuralSchema = true
	}

	errs = append(errs, crdVersions(spec, opts, p)...)

	for _, f := range []struct{ name, value string }{
		{"plural", spec.Names.Plural}, {"singular", spec.Names.Singular},
		{"kind", spec.Names.Kind}, {"listKind", spec.Names.ListKind},
	} {
		if f.value == "" {
			errs = append(errs, field.Required(p.Child("names", f.name), ""))
		}
	}
	errs = append(errs, crdNames(&spec.Names, p.Child("names"))...)
	errs = append(errs, crdSchema(spec.Validation, crdAnyStatusEnabled(spec), opts.forVersion(spec.Version), p.Child("validation"))...)
	errs = append(errs, crdSubresources(spec.Subresources, p.Child("subresources"))...)
	for i := range spec.AdditionalPrinterColumns {
		errs = append(errs, crdPrinterColumn(&spec.AdditionalPrinterColumns[i], p.Child("additionalPrinterColumns").Index(i))...)
	}
	if len(spec.SelectableFields) > 0 {
		if spec.Validation == nil {
			errs = append(errs, field.Invalid(p.Child("selectableFields"), "", "may only be set when validations.schema is included"))
		} else {
			errs = append(errs, crdSelectableFields(spec.SelectableFields, spec.Validation.OpenAPIV3Schema, p.Child("selectableFields"), opts.allowTooManySelectableFields[""])...)
		}
	}
	if spec.Conversion != nil && spec.Conversion.Strategy != apiextensions.NoneConverter && !pruning {
		errs = append(errs, field.Invalid(p.Child("conversion").Child("strategy"), spec.Conversion.Strategy, "must be None if spec.preserveUnknownFields is true"))
	}
	return append(errs, crdConversion(spec.Conversion, opts, p.Child("conversion"))...)
}

// crdVersions checks each version, then what the versions must be together.
func crdVersions(spec *apiextensions.CustomResourceDefinitionSpec, opts crdOptions, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	storage, seen, unique := 0, map[string]bool{}, true
	for i := range spec.Versions {
		v := &spec.Versions[i]
		vp := p.Child("versions").Index(i)
		if v.Storage {
			storage++
		}
		if seen[v.Name] {
			unique = false
		}
		seen[v.Name] = true
		if msgs := utilvalidation.IsDNS1035Label(v.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(vp.Child("name"), v.Name, strings.Join(msgs, ",")))
		}
		errs = append(errs, crdVersion(v, crdStatusEnabled(crdSubresourcesFor(spec, v.Name)), opts, vp)...)
	}

	// Identical per-version values were moved to the top level by conversion from
	// v1, so these only fire for objects built in the internal form.
	if spec.Validation != nil && crdAnyVersion(spec.Versions, func(v *apiextensions.CustomResourceDefinitionVersion) bool { return v.Schema != nil }) {
		errs = append(errs, field.Forbidden(p.Child("validation"), "top-level and per-version schemas are mutually exclusive"))
	}
	if spec.Subresources != nil && crdAnyVersion(spec.Versions, func(v *apiextensions.CustomResourceDefinitionVersion) bool { return v.Subresources != nil }) {
		errs = append(errs, field.Forbidden(p.Child("subresources"), "top-level and per-version subresources are mutually exclusive"))
	}
	if len(spec.AdditionalPrinterColumns) > 0 && crdAnyVersion(spec.Versions, func(v *apiextensions.CustomResourceDefinitionVersion) bool {
		return len(v.AdditionalPrinterColumns) > 0
	}) {
		errs = append(errs, field.Forbidden(p.Child("additionalPrinterColumns"), "top-level and per-version additionalPrinterColumns are mutually exclusive"))
	}

	if !unique {
		errs = append(errs, field.Invalid(p.Child("versions"), spec.Versions, "must contain unique version names"))
	}
	if storage != 1 {
		errs = append(errs, field.Invalid(p.Child("versions"), spec.Versions, "must have exactly one version marked as storage version"))
	}
	if spec.Version != "" {
		if msgs := utilvalidation.IsDNS1035Label(spec.Version); len(msgs) > 0 {
			errs = append(errs, field.Invalid(p.Child("version"), spec.Version, strings.Join(msgs, ",")))
		}
		if len(spec.Versions) >= 1 && spec.Versions[0].Name != spec.Version {
			errs = append(errs, field.Invalid(p.Child("version"), spec.Version, "must match the first version in spec.versions"))
		}
	}
	return errs
}

// crdVersion checks one entry of spec.versions.
func crdVersion(v *apiextensions.CustomResourceDefinitionVersion, statusEnabled bool, opts crdOptions, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range deprecationWarningProblems(v.Deprecated, v.DeprecationWarning) {
		errs = append(errs, field.Invalid(p.Child("deprecationWarning"), v.DeprecationWarning, msg))
	}
	errs = append(errs, crdSchema(v.Schema, statusEnabled, opts.forVersion(v.Name), p.Child("schema"))...)
	errs = append(errs, crdSubresources(v.Subresources, p.Child("subresources"))...)
	for i := range v.AdditionalPrinterColumns {
		errs = append(errs, crdPrinterColumn(&v.AdditionalPrinterColumns[i], p.Child("additionalPrinterColumns").Index(i))...)
	}
	if len(v.SelectableFields) > 0 {
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			// upstream's message, wording included.
			errs = append(errs, field.Invalid(p.Child("selectableFields"), "", "may only be set when `version.schema.openAPIV3Schema` is not included"))
		} else {
			errs = append(errs, crdSelectableFields(v.SelectableFields, v.Schema.OpenAPIV3Schema, p.Child("selectableFields"), opts.allowTooManySelectableFields[v.Name])...)
		}
	}
	return errs
}

// deprecationWarningProblems returns the messages for a bad deprecationWarning.
func deprecationWarningProblems(deprecated bool, warning *string) []string {
	if !deprecated && warning != nil {
		return []string{"can only be set for deprecated versions"}
	}
	if warning == nil {
		return nil
	}
	var msgs []string
	if len(*warning) > 256 {
		msgs = append(msgs, "must be <= 256 characters long")
	}
	if *warning == "" {
		msgs = append(msgs, "must not be an empty string")
	}
	for i, r := range *warning {
		if !unicode.IsPrint(r) {
			msgs = append(msgs, fmt.Sprintf("must only contain printable UTF-8 characters; non-printable character found at index %d", i))
			break
		}
		if unicode.IsControl(r) {
			msgs = append(msgs, fmt.Sprintf("must only contain printable UTF-8 characters; control character found at index %d", i))
			break
		}
	}
	if !utf8.ValidString(*warning) {
		msgs = append(msgs, "must only contain printable UTF-8 characters")
	}
	return msgs
}

// crdEnum reports an empty value as Required and an unknown one as NotSupported.
func crdEnum(p *field.Path, value string, accepted []string) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	for _, a := range accepted {
		if a == value {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(p, value, accepted)}
}

// crdSubresourcesFor returns the subresources that apply to a version.
func crdSubresourcesFor(spec *apiextensions.CustomResourceDefinitionSpec, version string) *apiextensions.CustomResourceSubresources {
	if !crdAnyVersion(spec.Versions, func(v *apiextensions.CustomResourceDefinitionVersion) bool { return v.Subresources != nil }) {
		return spec.Subresources
	}
	for i := range spec.Versions {
		if spec.Versions[i].Name == version {
			return spec.Versions[i].Subresources
		}
	}
	return nil
}

func crdStatusEnabled(s *apiextensions.CustomResourceSubresources) bool {
	return s != nil && s.Status != nil
}

func crdAnyStatusEnabled(spec *apiextensions.CustomResourceDefinitionSpec) bool {
	return crdStatusEnabled(spec.Subresources) || crdAnyVersion(spec.Versions, func(v *apiextensions.CustomResourceDefinitionVersion) bool { return crdStatusEnabled(v.Subresources) })
}

func crdAnyVersion(versions []apiextensions.CustomResourceDefinitionVersion, pred func(*apiextensions.CustomResourceDefinitionVersion) bool) bool {
	for i := range versions {
		if pred(&versions[i]) {
			return true
		}
	}
	return false
}

// crdAPIApproval requires groups under k8s.io and kubernetes.io to carry the
// api-approved annotation, unless its state did not change on update.
func crdAPIApproval(crd, old *apiextensions.CustomResourceDefinition) field.ErrorList {
	if !isProtectedCommunityGroup(crd.Spec.Group) {
		return nil
	}
	state, reason := apiApprovalState(crd.Annotations)
	if old != nil {
		if oldState, _ := apiApprovalState(old.Annotations); oldState == state {
			return nil
		}
	}
	p := field.NewPath("metadata", "annotations").Key(apiextensionsv1.KubeAPIApprovedAnnotation)
	switch state {
	case approvalMissing:
		return field.ErrorList{field.Required(p, reason)}
	case approvalInvalid:
		return field.ErrorList{field.Invalid(p, crd.Annotations[apiextensionsv1.KubeAPIApprovedAnnotation], reason)}
	}
	return nil
}

func isProtectedCommunityGroup(group string) bool {
	for _, g := range []string{"k8s.io", "kubernetes.io"} {
		if group == g || strings.HasSuffix(group, "."+g) {
			return true
		}
	}
	return false
}

type approvalState int

const (
	approvalInvalid approvalState = iota
	approvalApproved
	approvalBypassed
	approvalMissing
)

// apiApprovalState reads the api-approved annotation: a URL approves, a value
// starting with "unapproved" bypasses, anything else is invalid.
func apiApprovalState(annotations map[string]string) (approvalState, string) {
	a := annotations[apiextensionsv1.KubeAPIApprovedAnnotation]
	u, err := url.ParseRequestURI(a)
	switch {
	case a == "":
		return approvalMissing, fmt.Sprintf("protected groups must have approval annotation %q, see https://github.com/kubernetes/enhancements/pull/1111", apiextensionsv1.KubeAPIApprovedAnnotation)
	case strings.HasPrefix(a, "unapproved"):
		return approvalBypassed, fmt.Sprintf("not approved: %q", a)
	case err == nil && u.Host != "" && u.Scheme != "":
		return approvalApproved, "approved in " + a
	}
	return approvalInvalid, fmt.Sprintf("protected groups must have approval annotation %q with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111", apiextensionsv1.KubeAPIApprovedAnnotation)
}

// crdPreserveUnknownFields forbids spec.preserveUnknownFields=true except on
// objects that already had it (v1beta1 leftovers).
func crdPreserveUnknownFields(crd, old *apiextensions.CustomResourceDefinition) field.ErrorList {
	if old != nil && old.Spec.PreserveUnknownFields != nil && *old.Spec.PreserveUnknownFields {
		return nil
	}
	if crd.Spec.PreserveUnknownFields != nil && *crd.Spec.PreserveUnknownFields {
		return field.ErrorList{field.Invalid(field.NewPath("spec").Child("preserveUnknownFields"), crd.Spec.PreserveUnknownFields, "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead")}
	}
	return nil
}
