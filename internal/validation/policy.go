package validation

import (
	"slices"

	policyv1 "k8s.io/api/policy/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var pdbEvictionPolicies = []string{string(policyv1.AlwaysAllow), string(policyv1.IfHealthyBudget)}

// ValidatePodDisruptionBudget checks a budget on create. Upstream holds the name
// only to the generic path-segment rule.
func ValidatePodDisruptionBudget(obj runtime.Object) field.ErrorList {
	return create(obj, func(pdb *policyv1.PodDisruptionBudget) field.ErrorList {
		return append(objectMeta(&pdb.ObjectMeta, true, NameIsPathSegment), pdbSpec(&pdb.Spec, false)...)
	})
}

// ValidatePodDisruptionBudgetUpdate checks an update; the whole spec may change. A
// selector that already had an invalid label value may keep it.
func ValidatePodDisruptionBudgetUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pdb, old *policyv1.PodDisruptionBudget) field.ErrorList {
		allowInvalid := old.Spec.Selector != nil &&
			len(metav1validation.ValidateLabelSelector(old.Spec.Selector, metav1validation.LabelSelectorValidationOptions{}, nil)) > 0
		allErrs := objectMetaUpdate(&pdb.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, objectMeta(&pdb.ObjectMeta, true, NameIsPathSegment)...)
		return append(allErrs, pdbSpec(&pdb.Spec, allowInvalid)...)
	})
}

// ValidatePodDisruptionBudgetStatusUpdate checks conditions and counters.
func ValidatePodDisruptionBudgetStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pdb, old *policyv1.PodDisruptionBudget) field.ErrorList {
		s, p := &pdb.Status, field.NewPath("status")
		allErrs := objectMetaUpdate(&pdb.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, metav1validation.ValidateConditions(s.Conditions, p.Child("conditions"))...)
		allErrs = append(allErrs, nonNegative(int64(s.DisruptionsAllowed), p.Child("disruptionsAllowed"))...)
		allErrs = append(allErrs, nonNegative(int64(s.CurrentHealthy), p.Child("currentHealthy"))...)
		allErrs = append(allErrs, nonNegative(int64(s.DesiredHealthy), p.Child("desiredHealthy"))...)
		return append(allErrs, nonNegative(int64(s.ExpectedPods), p.Child("expectedPods"))...)
	})
}

func pdbSpec(spec *policyv1.PodDisruptionBudgetSpec, allowInvalidSelectorValue bool) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("spec")
	if spec.MinAvailable != nil && spec.MaxUnavailable != nil {
		allErrs = append(allErrs, field.Invalid(p, *spec, "minAvailable and maxUnavailable cannot be both set"))
	}
	allErrs = append(allErrs, intOrPercent(spec.MinAvailable, p.Child("minAvailable"))...)
	allErrs = append(allErrs, intOrPercent(spec.MaxUnavailable, p.Child("maxUnavailable"))...)
	allErrs = append(allErrs, metav1validation.ValidateLabelSelector(spec.Selector,
		metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: allowInvalidSelectorValue}, p.Child("selector"))...)
	if pol := spec.UnhealthyPodEvictionPolicy; pol != nil && !slices.Contains(pdbEvictionPolicies, string(*pol)) {
		allErrs = append(allErrs, field.NotSupported(p.Child("unhealthyPodEvictionPolicy"), *pol, pdbEvictionPolicies))
	}
	return allErrs
}
