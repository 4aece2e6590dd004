package validation

import (
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// podTemplateSpec checks the labels, annotations and pod spec of a template.
func podTemplateSpec(t *corev1.PodTemplateSpec, fldPath *field.Path) field.ErrorList {
	allErrs := metav1validation.ValidateLabels(t.Labels, fldPath.Child("labels"))
	allErrs = append(allErrs, apivalidation.ValidateAnnotations(t.Annotations, fldPath.Child("annotations"))...)
	allErrs = append(allErrs, podSpec(&t.Spec, fldPath.Child("spec"))...)
	if len(t.Spec.EphemeralContainers) > 0 {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"))
	}
	return allErrs
}

// controllerTemplate is what every workload controller adds on top of
// podTemplateSpec: the selector must match, pods must restart Always and may not
// have a deadline. kind names the controller in the deadline message.
func controllerTemplate(t *corev1.PodTemplateSpec, selector labels.Selector, kind string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if !selector.Empty() && !selector.Matches(labels.Set(t.Labels)) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("metadata", "labels"), t.Labels, selectorMismatchMsg))
	}
	allErrs = append(allErrs, podTemplateSpec(t, fldPath)...)
	if t.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("spec", "restartPolicy"), t.Spec.RestartPolicy, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	if t.Spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in "+kind+" is not Supported"))
	}
	return allErrs
}

// labelSelector checks a workload selector: present, well formed and not empty.
// It returns the parsed selector, or nil when it cannot be parsed.
func labelSelector(sel *metav1.LabelSelector, kind string, fldPath *field.Path) (labels.Selector, field.ErrorList) {
	var allErrs field.ErrorList
	if sel == nil {
		allErrs = append(allErrs, field.Required(fldPath, ""))
	} else {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, fldPath)...)
		if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
			allErrs = append(allErrs, field.Invalid(fldPath, sel, "empty selector is invalid for "+kind))
		}
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil, append(allErrs, field.Invalid(fldPath, sel, "invalid label selector"))
	}
	return s, allErrs
}

// ValidatePodTemplate checks a PodTemplate object.
func ValidatePodTemplate(obj runtime.Object) field.ErrorList {
	return create(obj, validatePodTemplate)
}

func validatePodTemplate(pt *corev1.PodTemplate) field.ErrorList {
	return append(objectMeta(&pt.ObjectMeta, true, NameIsDNSSubdomain), podTemplateSpec(&pt.Template, field.NewPath("template"))...)
}

// ValidatePodTemplateUpdate checks a PodTemplate update; the template may change.
func ValidatePodTemplateUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pt, old *corev1.PodTemplate) field.ErrorList {
		return append(objectMetaUpdate(&pt.ObjectMeta, &old.ObjectMeta), validatePodTemplate(pt)...)
	})
}

// ValidateReplicationController checks selector, replicas and template.
func ValidateReplicationController(obj runtime.Object) field.ErrorList {
	return create(obj, validateReplicationController)
}

func validateReplicationController(rc *corev1.ReplicationController) field.ErrorList {
	allErrs := objectMeta(&rc.ObjectMeta, true, NameIsDNSSubdomain)
	specPath := field.NewPath("spec")
	allErrs = append(allErrs, nonNegative(int64(rc.Spec.MinReadySeconds), specPath.Child("minReadySeconds"))...)
	selector := labels.Set(rc.Spec.Selector).AsSelector()
	if selector.Empty() {
		allErrs = append(allErrs, field.Required(specPath.Child("selector"), ""))
	}
	if rc.Spec.Replicas == nil {
		allErrs = append(allErrs, field.Required(specPath.Child("replicas"), ""))
	} else {
		allErrs = append(allErrs, nonNegative(int64(*rc.Spec.Replicas), specPath.Child("replicas"))...)
	}
	if rc.Spec.Template == nil {
		allErrs = append(allErrs, field.Required(specPath.Child("template"), ""))
	} else {
		allErrs = append(allErrs, controllerTemplate(rc.Spec.Template, selector, "ReplicationController", specPath.Child("template"))...)
	}
	return allErrs
}

// ValidateReplicationControllerUpdate checks an update; the selector may change.
func ValidateReplicationControllerUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(rc, old *corev1.ReplicationController) field.ErrorList {
		return append(objectMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta), validateReplicationController(rc)...)
	})
}

// ValidateReplicationControllerStatusUpdate checks the replica counters.
func ValidateReplicationControllerStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(rc, old *corev1.ReplicationController) field.ErrorList {
		s := rc.Status
		return append(objectMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta),
			replicaCounts(field.NewPath("status"), int64(s.ObservedGeneration), s.Replicas, s.FullyLabeledReplicas, s.ReadyReplicas, s.AvailableReplicas)...)
	})
}

// replicaCounts checks the status counters shared by ReplicaSets and
// ReplicationControllers: non-negative and ordered replicas >= ready >= available.
func replicaCounts(p *field.Path, observedGeneration int64, replicas, fullyLabeled, ready, available int32) field.ErrorList {
	allErrs := nonNegative(int64(replicas), p.Child("replicas"))
	allErrs = append(allErrs, nonNegative(int64(fullyLabeled), p.Child("fullyLabeledReplicas"))...)
	allErrs = append(allErrs, nonNegative(int64(ready), p.Child("readyReplicas"))...)
	allErrs = append(allErrs, nonNegative(int64(available), p.Child("availableReplicas"))...)
	allErrs = append(allErrs, nonNegative(observedGeneration, p.Child("observedGeneration"))...)
	const msg = "cannot be greater than status.replicas"
	if fullyLabeled > replicas {
		allErrs = append(allErrs, field.Invalid(p.Child("fullyLabeledReplicas"), fullyLabeled, msg))
	}
	if ready > replicas {
		allErrs = append(allErrs, field.Invalid(p.Child("readyReplicas"), ready, msg))
	}
	if available > replicas {
		allErrs = append(allErrs, field.Invalid(p.Child("availableReplicas"), available, msg))
	}
	if available > ready {
		allErrs = append(allErrs, field.Invalid(p.Child("availableReplicas"), available, "cannot be greater than readyReplicas"))
	}
	return allErrs
}
