package validation

import (
	rbacv1 "k8s.io/api/rbac/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateRBACName is the name rule of roles, bindings and the roleRef of a binding:
// anything usable as a URL path segment, so that names such as "system:node" work.
// generateName prefixes are held to the same rule.
func ValidateRBACName(name string, _ bool) []string {
	return path.IsValidPathSegmentName(name)
}

// rbacPolicyRule checks one rule of a role: verbs always, and either resources (with
// API groups) or, in cluster roles only, non-resource URLs, never both.
func rbacPolicyRule(rule *rbacv1.PolicyRule, namespaced bool, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(rule.Verbs) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("verbs"), "verbs must contain at least one value"))
	}
	if len(rule.NonResourceURLs) > 0 {
		if namespaced {
			allErrs = append(allErrs, field.Invalid(p.Child("nonResourceURLs"), rule.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
		}
		if len(rule.APIGroups) > 0 || len(rule.Resources) > 0 || len(rule.ResourceNames) > 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("nonResourceURLs"), rule.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
		}
		return allErrs
	}
	if len(rule.APIGroups) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
	}
	if len(rule.Resources) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("resources"), "resource rules must supply at least one resource"))
	}
	return allErrs
}

func rbacRules(rules []rbacv1.PolicyRule, namespaced bool) field.ErrorList {
	var allErrs field.ErrorList
	for i := range rules {
		allErrs = append(allErrs, rbacPolicyRule(&rules[i], namespaced, field.NewPath("rules").Index(i))...)
	}
	return allErrs
}

// ValidateRole checks a Role on create.
func ValidateRole(obj runtime.Object) field.ErrorList {
	return create(obj, validateRole)
}

func validateRole(r *rbacv1.Role) field.ErrorList {
	allErrs := objectMeta(&r.ObjectMeta, true, ValidateRBACName)
	return append(allErrs, rbacRules(r.Rules, true)...)
}

// ValidateRoleUpdate checks a Role on update.
func ValidateRoleUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(r, old *rbacv1.Role) field.ErrorList {
		return append(validateRole(r), objectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta)...)
	})
}

// ValidateClusterRole checks a ClusterRole on create.
func ValidateClusterRole(obj runtime.Object) field.ErrorList {
	return create(obj, func(r *rbacv1.ClusterRole) field.ErrorList { return validateClusterRole(r, false) })
}

// validateClusterRole checks the rules and the aggregation rule's selectors.
// allowInvalidLabelValues keeps accepting selectors an older server let in.
func validateClusterRole(r *rbacv1.ClusterRole, allowInvalidLabelValues bool) field.ErrorList {
	allErrs := objectMeta(&r.ObjectMeta, false, ValidateRBACName)
	allErrs = append(allErrs, rbacRules(r.Rules, false)...)
	if r.AggregationRule == nil {
		return allErrs
	}
	selPath := field.NewPath("aggregationRule", "clusterRoleSelectors")
	if len(r.AggregationRule.ClusterRoleSelectors) == 0 {
		allErrs = append(allErrs, field.Required(selPath, "at least one clusterRoleSelector required if aggregationRule is non-nil"))
	}
	opts := metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: allowInvalidLabelValues}
	for i := range r.AggregationRule.ClusterRoleSelectors {
		sel := &r.AggregationRule.ClusterRoleSelectors[i]
		p := selPath.Index(i)
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(sel, opts, p)...)
		if _, err := metav1.LabelSelectorAsSelector(sel); err != nil {
			allErrs = append(allErrs, field.Invalid(p, sel, "invalid label selector."))
		}
	}
	return allErrs
}

// ValidateClusterRoleUpdate checks a ClusterRole on update.
func ValidateClusterRoleUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(r, old *rbacv1.ClusterRole) field.ErrorList {
		allErrs := validateClusterRole(r, clusterRoleHasInvalidSelector(old))
		return append(allErrs, objectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta)...)
	})
}

func clusterRoleHasInvalidSelector(r *rbacv1.ClusterRole) bool {
	if r.AggregationRule == nil {
		return false
	}
	strict := metav1validation.LabelSelectorValidationOptions{}
	for i := range r.AggregationRule.ClusterRoleSelectors {
		if len(metav1validation.ValidateLabelSelector(&r.AggregationRule.ClusterRoleSelectors[i], strict, nil)) > 0 {
			return true
		}
	}
	return false
}

// rbacRoleRef checks the role a binding grants; kinds lists what the binding may
// refer to (cluster bindings only ClusterRoles).
func rbacRoleRef(ref *rbacv1.RoleRef, kinds []string) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("roleRef")
	if ref.APIGroup != rbacv1.GroupName {
		allErrs = append(allErrs, field.NotSupported(p.Child("apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	known := false
	for _, k := range kinds {
		known = known || ref.Kind == k
	}
	if !known {
		allErrs = append(allErrs, field.NotSupported(p.Child("kind"), ref.Kind, kinds))
	}
	if ref.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), ""))
	} else {
		for _, msg := range ValidateRBACName(ref.Name, false) {
			allErrs = append(allErrs, field.Invalid(p.Child("name"), ref.Name, msg))
		}
	}
	return allErrs
}

// rbacSubject checks one subject of a binding. A ServiceAccount of a cluster-wide
// binding must say its namespace; a RoleBinding's defaults to the binding's.
func rbacSubject(s *rbacv1.Subject, namespaced bool, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if s.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), ""))
	}
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		if s.Name != "" {
			for _, msg := range apivalidation.NameIsDNSSubdomain(s.Name, false) {
				allErrs = append(allErrs, field.Invalid(p.Child("name"), s.Name, msg))
			}
		}
		if s.APIGroup != "" {
			allErrs = append(allErrs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{""}))
		}
		if !namespaced && s.Namespace == "" {
			allErrs = append(allErrs, field.Required(p.Child("namespace"), ""))
		}
	case rbacv1.UserKind, rbacv1.GroupKind:
		if s.APIGroup != rbacv1.GroupName {
			allErrs = append(allErrs, field.NotSupported(p.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("kind"), s.Kind, []string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
	}
	return allErrs
}

func rbacSubjects(subjects []rbacv1.Subject, namespaced bool) field.ErrorList {
	var allErrs field.ErrorList
	for i := range subjects {
		allErrs = append(allErrs, rbacSubject(&subjects[i], namespaced, field.NewPath("subjects").Index(i))...)
	}
	return allErrs
}

// ValidateRoleBinding checks a RoleBinding on create.
func ValidateRoleBinding(obj runtime.Object) field.ErrorList {
	return create(obj, validateRoleBinding)
}

func validateRoleBinding(b *rbacv1.RoleBinding) field.ErrorList {
	allErrs := objectMeta(&b.ObjectMeta, true, ValidateRBACName)
	allErrs = append(allErrs, rbacRoleRef(&b.RoleRef, []string{"Role", "ClusterRole"})...)
	return append(allErrs, rbacSubjects(b.Subjects, true)...)
}

// ValidateRoleBindingUpdate additionally keeps roleRef fixed: a binding to another
// role is a new binding.
func ValidateRoleBindingUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(b, old *rbacv1.RoleBinding) field.ErrorList {
		allErrs := validateRoleBinding(b)
		allErrs = append(allErrs, objectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta)...)
		return append(allErrs, immutable(b.RoleRef, old.RoleRef, field.NewPath("roleRef"))...)
	})
}

// ValidateClusterRoleBinding checks a ClusterRoleBinding on create.
func ValidateClusterRoleBinding(obj runtime.Object) field.ErrorList {
	return create(obj, validateClusterRoleBinding)
}

func validateClusterRoleBinding(b *rbacv1.ClusterRoleBinding) field.ErrorList {
	allErrs := objectMeta(&b.ObjectMeta, false, ValidateRBACName)
	allErrs = append(allErrs, rbacRoleRef(&b.RoleRef, []string{"ClusterRole"})...)
	return append(allErrs, rbacSubjects(b.Subjects, false)...)
}

// ValidateClusterRoleBindingUpdate additionally keeps roleRef fixed.
func ValidateClusterRoleBindingUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(b, old *rbacv1.ClusterRoleBinding) field.ErrorList {
		allErrs := validateClusterRoleBinding(b)
		allErrs = append(allErrs, objectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta)...)
		return append(allErrs, immutable(b.RoleRef, old.RoleRef, field.NewPath("roleRef"))...)
	})
}
