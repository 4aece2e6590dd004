package validation

import (
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateCustomResourceDefinition checks what a CRD must have to be stored: its name,
// group, scope, names and versions, as upstream does. Schema checks (structural
// schemas, CEL rules) come with serving custom resources.
func ValidateCustomResourceDefinition(obj runtime.Object) field.ErrorList {
	return create(obj, validateCRD)
}

// ValidateCustomResourceDefinitionUpdate checks a CRD on update.
func ValidateCustomResourceDefinitionUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(crd, old *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
		errs := append(validateCRD(crd), objectMetaUpdate(&crd.ObjectMeta, &old.ObjectMeta)...)
		if crd.Spec.Scope != old.Spec.Scope {
			errs = append(errs, field.Invalid(field.NewPath("spec", "scope"), crd.Spec.Scope, "field is immutable"))
		}
		return errs
	})
}

func validateCRD(crd *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	required := crd.Spec.Names.Plural + "." + crd.Spec.Group
	errs := objectMeta(&crd.ObjectMeta, false, func(name string, prefix bool) []string {
		msgs := apivalidation.NameIsDNSSubdomain(name, prefix)
		if name != required {
			msgs = append(msgs, `must be spec.names.plural+"."+spec.group`)
		}
		return msgs
	})
	spec, p := &crd.Spec, field.NewPath("spec")
	switch {
	case spec.Group == "":
		errs = append(errs, field.Required(p.Child("group"), ""))
	case len(validation.IsDNS1123Subdomain(spec.Group)) > 0:
		errs = append(errs, field.Invalid(p.Child("group"), spec.Group, strings.Join(validation.IsDNS1123Subdomain(spec.Group), ",")))
	case !strings.Contains(spec.Group, "."):
		errs = append(errs, field.Invalid(p.Child("group"), spec.Group, "should be a domain with at least one dot"))
	}
	switch spec.Scope {
	case apiextensionsv1.ClusterScoped, apiextensionsv1.NamespaceScoped:
	case "":
		errs = append(errs, field.Required(p.Child("scope"), ""))
	default:
		errs = append(errs, field.NotSupported(p.Child("scope"), spec.Scope, []string{"Cluster", "Namespaced"}))
	}
	storage, seen, unique := 0, map[string]bool{}, true
	for i, v := range spec.Versions {
		vp := p.Child("versions").Index(i)
		if v.Storage {
			storage++
		}
		if seen[v.Name] {
			unique = false
		}
		seen[v.Name] = true
		if msgs := validation.IsDNS1035Label(v.Name); len(msgs) > 0 {
			errs = append(errs, field.Invalid(vp.Child("name"), v.Name, strings.Join(msgs, ",")))
		}
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			errs = append(errs, field.Required(vp.Child("schema", "openAPIV3Schema"), ""))
		}
	}
	if !unique {
		errs = append(errs, field.Invalid(p.Child("versions"), spec.Versions, "must contain unique version names"))
	}
	if storage != 1 {
		errs = append(errs, field.Invalid(p.Child("versions"), spec.Versions, "must have exactly one version marked as storage version"))
	}
	names := p.Child("names")
	for _, f := range []struct{ name, value string }{{"plural", spec.Names.Plural}, {"singular", spec.Names.Singular}, {"kind", spec.Names.Kind}, {"listKind", spec.Names.ListKind}} {
		if f.value == "" {
			errs = append(errs, field.Required(names.Child(f.name), ""))
		}
	}
	for _, f := range []struct{ name, value string }{{"plural", spec.Names.Plural}, {"singular", spec.Names.Singular}} {
		if f.value != "" {
			if msgs := validation.IsDNS1035Label(f.value); len(msgs) > 0 {
				errs = append(errs, field.Invalid(names.Child(f.name), f.value, strings.Join(msgs, ",")))
			}
		}
	}
	for _, f := range []struct{ name, value string }{{"kind", spec.Names.Kind}, {"listKind", spec.Names.ListKind}} {
		if f.value != "" {
			if msgs := validation.IsDNS1035Label(strings.ToLower(f.value)); len(msgs) > 0 {
				errs = append(errs, field.Invalid(names.Child(f.name), f.value, "may have mixed case, but should otherwise match: "+strings.Join(msgs, ",")))
			}
		}
	}
	if spec.Names.Kind != "" && spec.Names.Kind == spec.Names.ListKind {
		errs = append(errs, field.Invalid(names.Child("listKind"), spec.Names.ListKind, "kind and listKind may not be the same"))
	}
	return errs
}
