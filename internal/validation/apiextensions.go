package validation

import (
	"fmt"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// CustomResourceDefinitions are validated in the group's internal form, as
// kube-apiserver does: converting from v1 moves per-version schemas, subresources,
// columns and selectable fields that are identical in every version to the
// top-level fields, so such errors carry upstream's spec.validation... paths, and
// bad values print the way upstream prints them.

// ValidateCustomResourceDefinition checks a CRD on create (after PrepareForCreate).
func ValidateCustomResourceDefinition(obj runtime.Object) field.ErrorList {
	return create(obj, func(crd *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
		in, err := crdToInternal(crd)
		if err != nil {
			return field.ErrorList{err}
		}
		return validateCRDCreate(in)
	})
}

// ValidateCustomResourceDefinitionUpdate checks a CRD on update (after
// PrepareForUpdate): the create rules, relaxed where the stored object already
// broke them, plus what may not change.
func ValidateCustomResourceDefinitionUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(crd, oldCRD *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
		in, err := crdToInternal(crd)
		if err != nil {
			return field.ErrorList{err}
		}
		oldIn, err := crdToInternal(oldCRD)
		if err != nil {
			return field.ErrorList{err}
		}
		return validateCRDUpdate(in, oldIn)
	})
}

// ValidateCustomResourceDefinitionStatus checks a write to the status
// subresource: metadata may not change what it may not, and accepted names must
// be valid names. Like upstream, spec-derived status rules (storedVersions) are
// checked on spec writes only.
func ValidateCustomResourceDefinitionStatus(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(crd, oldCRD *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
		in, err := crdToInternal(crd)
		if err != nil {
			return field.ErrorList{err}
		}
		errs := apivalidation.ValidateObjectMetaUpdate(&crd.ObjectMeta, &oldCRD.ObjectMeta, field.NewPath("metadata"))
		return append(errs, crdStatus(&in.Status, field.NewPath("status"))...)
	})
}

// crdToInternal converts with the group's generated conversion; it cannot fail
// for a decoded object, but a failure is reported rather than ignored.
func crdToInternal(crd *apiextensionsv1.CustomResourceDefinition) (*apiextensions.CustomResourceDefinition, *field.Error) {
	out := &apiextensions.CustomResourceDefinition{}
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, out, nil); err != nil {
		return nil, field.InternalError(field.NewPath("spec"), err)
	}
	return out, nil
}

func validateCRDCreate(crd *apiextensions.CustomResourceDefinition) field.ErrorList {
	required := crd.Spec.Names.Plural + "." + crd.Spec.Group
	nameFn := func(name string, prefix bool) []string {
		msgs := apivalidation.NameIsDNSSubdomain(name, prefix)
		if name != required {
			msgs = append(msgs, `must be spec.names.plural+"."+spec.group`)
		}
		return msgs
	}
	errs := apivalidation.ValidateObjectMeta(&crd.ObjectMeta, false, nameFn, field.NewPath("metadata"))
	errs = append(errs, crdSpec(&crd.Spec, createOptions(), field.NewPath("spec"))...)
	return append(errs, crdCommonTail(crd, nil)...)
}

func validateCRDUpdate(crd, old *apiextensions.CustomResourceDefinition) field.ErrorList {
	errs := apivalidation.ValidateObjectMetaUpdate(&crd.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	errs = append(errs, crdSpecUpdate(&crd.Spec, &old.Spec, updateOptions(crd, old), field.NewPath("spec"))...)
	return append(errs, crdCommonTail(crd, old)...)
}

// crdCommonTail holds the checks create and update share after the spec.
func crdCommonTail(crd, old *apiextensions.CustomResourceDefinition) field.ErrorList {
	status := field.NewPath("status")
	errs := crdStatus(&crd.Status, status)
	errs = append(errs, crdStoredVersions(crd.Status.StoredVersions, crd.Spec.Versions, status.Child("storedVersions"))...)
	errs = append(errs, crdAPIApproval(crd, old)...)
	return append(errs, crdPreserveUnknownFields(crd, old)...)
}

func crdSpecUpdate(spec, old *apiextensions.CustomResourceDefinitionSpec, opts crdOptions, p *field.Path) field.ErrorList {
	errs := crdSpec(spec, opts, p)
	if opts.requireImmutableNames {
		// scope and kind shape how objects are stored once the CRD is established.
		errs = append(errs, apivalidation.ValidateImmutableField(spec.Scope, old.Scope, p.Child("scope"))...)
		errs = append(errs, apivalidation.ValidateImmutableField(spec.Names.Kind, old.Names.Kind, p.Child("names", "kind"))...)
	}
	// group and plural make up metadata.name, which never changes.
	errs = append(errs, apivalidation.ValidateImmutableField(spec.Group, old.Group, p.Child("group"))...)
	return append(errs, apivalidation.ValidateImmutableField(spec.Names.Plural, old.Names.Plural, p.Child("names", "plural"))...)
}

// crdStoredVersions requires the storage version among storedVersions and every
// stored version to still be listed in spec.versions.
func crdStoredVersions(stored []string, versions []apiextensions.CustomResourceDefinitionVersion, p *field.Path) field.ErrorList {
	if len(stored) == 0 {
		return field.ErrorList{field.Invalid(p, stored, "must have at least one stored version")}
	}
	var errs field.ErrorList
	index := make(map[string]int, len(stored))
	for i, v := range stored {
		index[v] = i
	}
	listed := map[string]bool{}
	for _, v := range versions {
		_, ok := index[v.Name]
		if v.Storage && !ok {
			errs = append(errs, field.Invalid(p, stored, "must have the storage version "+v.Name))
		}
		listed[v.Name] = true
	}
	for i, v := range stored {
		if listed[v] || index[v] != i {
			continue
		}
		errs = append(errs, field.Invalid(p.Index(i), v, fmt.Sprintf("missing from spec.versions; %[1]s was previously a storage version, and must remain in spec.versions until a storage migration ensures no data remains persisted in %[1]s and removes %[1]s from status.storedVersions", v)))
	}
	return errs
}

// crdStatus checks what a client may write to status: the accepted names.
func crdStatus(status *apiextensions.CustomResourceDefinitionStatus, p *field.Path) field.ErrorList {
	return crdNames(&status.AcceptedNames, p.Child("acceptedNames"))
}

// crdNames checks the syntax of the names that are set; which are required
// depends on whether they are spec or status names.
func crdNames(names *apiextensions.CustomResourceDefinitionNames, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	label := func(value string, fp *field.Path) {
		if msgs := utilvalidation.IsDNS1035Label(value); len(msgs) > 0 {
			errs = append(errs, field.Invalid(fp, value, strings.Join(msgs, ",")))
		}
	}
	mixedCase := func(value string, fp *field.Path) {
		if msgs := utilvalidation.IsDNS1035Label(strings.ToLower(value)); len(msgs) > 0 {
			errs = append(errs, field.Invalid(fp, value, "may have mixed case, but should otherwise match: "+strings.Join(msgs, ",")))
		}
	}
	if names.Plural != "" {
		label(names.Plural, p.Child("plural"))
	}
	if names.Singular != "" {
		label(names.Singular, p.Child("singular"))
	}
	if names.Kind != "" {
		mixedCase(names.Kind, p.Child("kind"))
	}
	if names.ListKind != "" {
		mixedCase(names.ListKind, p.Child("listKind"))
	}
	for i, s := range names.ShortNames {
		label(s, p.Child("shortNames").Index(i))
	}
	// the same kind and listKind would make decoding ambiguous.
	if names.Kind != "" && names.Kind == names.ListKind {
		errs = append(errs, field.Invalid(p.Child("listKind"), names.ListKind, "kind and listKind may not be the same"))
	}
	for i, c := range names.Categories {
		label(c, p.Child("categories").Index(i))
	}
	return errs
}
