package validation

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateRuntimeClass checks a RuntimeClass on create.
func ValidateRuntimeClass(obj runtime.Object) field.ErrorList {
	return create(obj, validateRuntimeClass)
}

func validateRuntimeClass(rc *nodev1.RuntimeClass) field.ErrorList {
	allErrs := objectMeta(&rc.ObjectMeta, false, NameIsDNSSubdomain)
	hp := field.NewPath("handler")
	if rc.Handler == "" {
		allErrs = append(allErrs, field.Required(hp, ""))
	} else {
		for _, msg := range NameIsDNSLabel(rc.Handler, false) {
			allErrs = append(allErrs, field.Invalid(hp, rc.Handler, msg))
		}
	}
	if rc.Overhead != nil {
		// Upstream checks the overhead as container limits, under overhead.limits.
		allErrs = append(allErrs, resourceRequirements(&corev1.ResourceRequirements{Limits: rc.Overhead.PodFixed}, field.NewPath("overhead"))...)
	}
	if s := rc.Scheduling; s != nil {
		sp := field.NewPath("scheduling")
		allErrs = append(allErrs, metav1validation.ValidateLabels(s.NodeSelector, sp.Child("nodeSelector"))...)
		allErrs = append(allErrs, runtimeClassTolerations(s.Tolerations, sp.Child("tolerations"))...)
	}
	return allErrs
}

// ValidateRuntimeClassUpdate additionally keeps the handler fixed.
func ValidateRuntimeClassUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(rc, old *nodev1.RuntimeClass) field.ErrorList {
		allErrs := validateRuntimeClass(rc)
		allErrs = append(allErrs, objectMetaUpdate(&rc.ObjectMeta, &old.ObjectMeta)...)
		return append(allErrs, immutable(rc.Handler, old.Handler, field.NewPath("handler"))...)
	})
}

// runtimeClassTolerations checks tolerations as a pod's, and refuses duplicates.
func runtimeClassTolerations(tolerations []corev1.Toleration, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := map[corev1.Toleration]bool{}
	for i, t := range tolerations {
		allErrs = append(allErrs, toleration(&t, p.Index(i))...)
		key := corev1.Toleration{Key: t.Key, Operator: t.Operator, Value: t.Value, Effect: t.Effect}
		if seen[key] {
			allErrs = append(allErrs, field.Duplicate(p.Index(i), t))
		}
		seen[key] = true
	}
	return allErrs
}

func toleration(t *corev1.Toleration, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if t.Key != "" {
		allErrs = append(allErrs, metav1validation.ValidateLabelName(t.Key, p.Child("key"))...)
	}
	if t.Key == "" && t.Operator != corev1.TolerationOpExists {
		allErrs = append(allErrs, field.Invalid(p.Child("operator"), t.Operator,
			"operator must be Exists when `key` is empty, which means \"match all values and all keys\""))
	}
	if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
		allErrs = append(allErrs, field.Invalid(p.Child("effect"), t.Effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
	}
	switch t.Operator {
	case corev1.TolerationOpEqual, "":
		if msgs := utilvalidation.IsValidLabelValue(t.Value); len(msgs) != 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("operator"), t.Value, strings.Join(msgs, ";")))
		}
	case corev1.TolerationOpExists:
		if t.Value != "" {
			allErrs = append(allErrs, field.Invalid(p.Child("operator"), t.Value, "value must be empty when `operator` is 'Exists'"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("operator"), t.Operator,
			[]corev1.TolerationOperator{corev1.TolerationOpEqual, corev1.TolerationOpExists}))
	}
	if t.Effect != "" {
		valid := []corev1.TaintEffect{corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}
		allErrs = append(allErrs, enum(t.Effect, valid, p.Child("effect"))...)
	}
	return allErrs
}

// Priority class limits and the reserved system classes, as upstream.
const (
	highestUserPriority      = int32(1000000000)
	systemCriticalPriority   = 2 * highestUserPriority
	systemPriorityPrefix     = "system-"
	systemClusterCriticalPC  = "system-cluster-critical"
	systemNodeCriticalPC     = "system-node-critical"
	systemNodeCriticalOffset = 1000
)

// systemPriorityClasses are the only names with the "system-" prefix, with the
// values they must have (neither is a global default).
var systemPriorityClasses = map[string]int32{
	systemClusterCriticalPC: systemCriticalPriority,
	systemNodeCriticalPC:    systemCriticalPriority + systemNodeCriticalOffset,
}

// knownSystemPriorityClass explains why a "system-" class is not one of the
// built-in ones, or returns "".
func knownSystemPriorityClass(name string, value int32, globalDefault bool) string {
	want, ok := systemPriorityClasses[name]
	switch {
	case !ok:
		return fmt.Sprintf("%v is not a known system priority class", name)
	case value != want:
		return fmt.Sprintf("value of %v PriorityClass must be %v", name, want)
	case globalDefault:
		return fmt.Sprintf("globalDefault of %v PriorityClass must be %v", name, false)
	}
	return ""
}

// ValidatePriorityClass checks a PriorityClass on create: user classes are capped
// at one billion and "system-" names are reserved.
func ValidatePriorityClass(obj runtime.Object) field.ErrorList {
	return create(obj, func(pc *schedulingv1.PriorityClass) field.ErrorList {
		allErrs := objectMeta(&pc.ObjectMeta, false, NameIsDNSSubdomain)
		if strings.HasPrefix(pc.Name, systemPriorityPrefix) {
			if why := knownSystemPriorityClass(pc.Name, pc.Value, pc.GlobalDefault); why != "" {
				allErrs = append(allErrs, field.Forbidden(field.NewPath("metadata", "name"),
					"priority class names with '"+systemPriorityPrefix+"' prefix are reserved for system use only. error: "+why))
			}
		} else if pc.Value > highestUserPriority {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("value"),
				fmt.Sprintf("maximum allowed value of a user defined priority is %v", highestUserPriority)))
		}
		if pc.PreemptionPolicy != nil {
			valid := []corev1.PreemptionPolicy{corev1.PreemptLowerPriority, corev1.PreemptNever}
			allErrs = append(allErrs, enum(*pc.PreemptionPolicy, valid, field.NewPath("preemptionPolicy"))...)
		}
		return allErrs
	})
}

// ValidatePriorityClassUpdate keeps value and preemptionPolicy fixed. Like upstream,
// it does not re-run the create checks.
func ValidatePriorityClassUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pc, old *schedulingv1.PriorityClass) field.ErrorList {
		allErrs := objectMetaUpdate(&pc.ObjectMeta, &old.ObjectMeta)
		if pc.Value != old.Value {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("value"), "may not be changed in an update."))
		}
		return append(allErrs, immutable(pc.PreemptionPolicy, old.PreemptionPolicy, field.NewPath("preemptionPolicy"))...)
	})
}
