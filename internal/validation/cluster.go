package validation

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var taintEffects = []corev1.TaintEffect{corev1.TaintEffectNoExecute, corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule}

// ValidateNode checks a node on create.
func ValidateNode(obj runtime.Object) field.ErrorList {
	return create(obj, func(n *corev1.Node) field.ErrorList {
		return append(objectMeta(&n.ObjectMeta, false, NameIsDNSSubdomain), validateNode(n)...)
	})
}

func validateNode(n *corev1.Node) field.ErrorList {
	var allErrs field.ErrorList
	taintPath := field.NewPath("metadata", "taints")
	seen := map[string]bool{}
	for i, t := range n.Spec.Taints {
		p := taintPath.Index(i)
		allErrs = append(allErrs, qualifiedName(t.Key, p.Child("key"))...)
		if t.Value != "" {
			for _, msg := range utilvalidation.IsValidLabelValue(t.Value) {
				allErrs = append(allErrs, field.Invalid(p.Child("value"), t.Value, msg))
			}
		}
		allErrs = append(allErrs, enum(t.Effect, taintEffects, p.Child("effect"))...)
		k := t.Key + "/" + string(t.Effect)
		if seen[k] {
			allErrs = append(allErrs, field.Duplicate(p, t.Key+":"+string(t.Effect)))
		}
		seen[k] = true
	}
	for _, list := range []struct {
		name string
		res  corev1.ResourceList
	}{{"capacity", n.Status.Capacity}, {"allocatable", n.Status.Allocatable}} {
		for _, name := range sortedNames(list.res) {
			allErrs = append(allErrs, quantityValue(name, list.res[name], field.NewPath("status", list.name, string(name)))...)
		}
	}
	allErrs = append(allErrs, nodeDeclaredFeatures(n.Status.DeclaredFeatures, field.NewPath("status", "declaredFeatures"))...)
	for i, cidr := range n.Spec.PodCIDRs {
		allErrs = append(allErrs, utilvalidation.IsValidCIDRForLegacyField(field.NewPath("spec", "podCIDRs").Index(i), cidr, strictIP, nil)...)
	}
	return allErrs
}

// declaredFeatureName is a node feature's name: an UpperCamelCase segment, then
// '/'-separated segments of letters and digits (MyFeature/mySubFeature).
var declaredFeatureName = regexp.MustCompile(`^[A-Z][a-zA-Z0-9]*(/[a-zA-Z][a-zA-Z0-9]*)*$`)

// nodeDeclaredFeatures checks status.declaredFeatures as upstream (the
// NodeDeclaredFeatures gate is GA and locked on): valid names, kept sorted so that
// a duplicate is always next to its twin.
func nodeDeclaredFeatures(features []string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, f := range features {
		switch {
		case len(f) > utilvalidation.DNS1123SubdomainMaxLength:
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), f, fmt.Sprintf("invalid feature name %q: must be no more than %d characters", f, utilvalidation.DNS1123SubdomainMaxLength)))
		case !declaredFeatureName.MatchString(f):
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), f, fmt.Sprintf("invalid feature name %q: must start with an UpperCamelCase segment, with subsequent segments separated by '/' (e.g., MyFeature or MyFeature/mySubFeature), and contain only alphanumeric characters and slashes", f)))
		}
		if i+1 < len(features) {
			switch next := features[i+1]; {
			case next == f:
				allErrs = append(allErrs, field.Duplicate(fldPath.Index(i+1), next))
			case next < f:
				allErrs = append(allErrs, field.Invalid(fldPath.Index(i+1), next, "list must be sorted alphabetically"))
			}
		}
	}
	return allErrs
}

// ValidateNodeUpdate keeps podCIDRs and providerID fixed once set.
func ValidateNodeUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, validateNodeUpdate)
}

func validateNodeUpdate(n, old *corev1.Node) field.ErrorList {
	allErrs := objectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta)
	allErrs = append(allErrs, validateNode(n)...)
	seen := map[corev1.NodeAddress]bool{}
	for i, a := range n.Status.Addresses {
		if seen[a] {
			allErrs = append(allErrs, field.Duplicate(field.NewPath("status", "addresses").Index(i), a))
		}
		seen[a] = true
	}
	if len(old.Spec.PodCIDRs) > 0 && !slices.Equal(old.Spec.PodCIDRs, n.Spec.PodCIDRs) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "podCIDRs"), "node updates may not change podCIDR except from \"\" to valid"))
	}
	if old.Spec.ProviderID != "" {
		if n.Spec.ProviderID == "" {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "providerID"), nil, "field cannot be cleared once set"))
		} else if n.Spec.ProviderID != old.Spec.ProviderID {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "providerID"), nil, "field cannot be modified once set"))
		}
	}
	if n.Spec.DoNotUseExternalID != old.Spec.DoNotUseExternalID {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "externalID"), "may not be updated"))
	}
	return allErrs
}

// ValidateNodeStatusUpdate applies the node update rules; status is free-form.
func ValidateNodeStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, validateNodeUpdate)
}

var limitTypes = map[corev1.LimitType]bool{corev1.LimitTypePod: true, corev1.LimitTypeContainer: true, corev1.LimitTypePersistentVolumeClaim: true}

// ValidateLimitRange checks types, resource names and min <= default <= max.
func ValidateLimitRange(obj runtime.Object) field.ErrorList {
	return create(obj, validateLimitRange)
}

func validateLimitRange(lr *corev1.LimitRange) field.ErrorList {
	allErrs := objectMeta(&lr.ObjectMeta, true, NameIsDNSSubdomain)
	fldPath := field.NewPath("spec", "limits")
	types := map[corev1.LimitType]bool{}
	for i := range lr.Spec.Limits {
		l := &lr.Spec.Limits[i]
		idx := fldPath.Index(i)
		typeErrs := qualifiedName(string(l.Type), idx.Child("type"))
		if len(typeErrs) == 0 && !strings.Contains(string(l.Type), "/") && !limitTypes[l.Type] {
			typeErrs = append(typeErrs, field.Invalid(idx.Child("type"), l.Type, "must be a standard limit type or fully qualified"))
		}
		allErrs = append(allErrs, typeErrs...)
		if types[l.Type] {
			allErrs = append(allErrs, field.Duplicate(idx.Child("type"), l.Type))
		}
		types[l.Type] = true
		nameFn := resourceName
		if l.Type == corev1.LimitTypePod || l.Type == corev1.LimitTypeContainer {
			nameFn = containerResourceName
		}
		lists := []struct {
			name string
			res  corev1.ResourceList
		}{{"max", l.Max}, {"min", l.Min}, {"default", l.Default}, {"defaultRequest", l.DefaultRequest}, {"maxLimitRequestRatio", l.MaxLimitRequestRatio}}
		for _, list := range lists {
			if l.Type == corev1.LimitTypePod && (list.name == "default" || list.name == "defaultRequest") {
				if len(list.res) > 0 {
					allErrs = append(allErrs, field.Forbidden(idx.Child(list.name), "may not be specified when `type` is 'Pod'"))
				}
				continue
			}
			for _, name := range sortedNames(list.res) {
				allErrs = append(allErrs, nameFn(name, idx.Child(list.name).Key(string(name)))...)
			}
		}
		for _, name := range sortedNames(l.Min) {
			minQ := l.Min[name]
			if maxQ, ok := l.Max[name]; ok && minQ.Cmp(maxQ) > 0 {
				allErrs = append(allErrs, field.Invalid(idx.Child("min").Key(string(name)), minQ, "min value "+minQ.String()+" is greater than max value "+maxQ.String()))
			}
		}
	}
	return allErrs
}

// ValidateLimitRangeUpdate checks an update; limits may change freely.
func ValidateLimitRangeUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(lr, old *corev1.LimitRange) field.ErrorList {
		return append(objectMetaUpdate(&lr.ObjectMeta, &old.ObjectMeta), validateLimitRange(lr)...)
	})
}

// quotaList checks the resource names and quantities of hard or used.
func quotaList(list corev1.ResourceList, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, name := range sortedNames(list) {
		p := fldPath.Key(string(name))
		allErrs = append(allErrs, resourceName(name, p)...)
		if !strings.Contains(string(name), "/") && !isStandardQuotaResource(name) {
			allErrs = append(allErrs, field.Invalid(p, name, "must be a standard resource for quota"))
		}
		allErrs = append(allErrs, quantityValue(name, list[name], p)...)
	}
	return allErrs
}

// ValidateResourceQuota checks hard and used resource lists.
func ValidateResourceQuota(obj runtime.Object) field.ErrorList {
	return create(obj, func(q *corev1.ResourceQuota) field.ErrorList {
		allErrs := objectMeta(&q.ObjectMeta, true, NameIsDNSSubdomain)
		allErrs = append(allErrs, quotaList(q.Spec.Hard, field.NewPath("spec", "hard"))...)
		allErrs = append(allErrs, quotaList(q.Status.Hard, field.NewPath("status", "hard"))...)
		return append(allErrs, quotaList(q.Status.Used, field.NewPath("status", "used"))...)
	})
}

// ValidateResourceQuotaUpdate keeps the scopes fixed.
func ValidateResourceQuotaUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(q, old *corev1.ResourceQuota) field.ErrorList {
		allErrs := objectMetaUpdate(&q.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, quotaList(q.Spec.Hard, field.NewPath("spec", "hard"))...)
		a, b := slices.Clone(q.Spec.Scopes), slices.Clone(old.Spec.Scopes)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(slices.Compact(a), slices.Compact(b)) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "scopes"), q.Spec.Scopes, immutableMsg))
		}
		return allErrs
	})
}

// ValidateResourceQuotaStatusUpdate checks the status lists.
func ValidateResourceQuotaStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(q, old *corev1.ResourceQuota) field.ErrorList {
		allErrs := objectMetaUpdate(&q.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, quotaList(q.Status.Hard, field.NewPath("status", "hard"))...)
		return append(allErrs, quotaList(q.Status.Used, field.NewPath("status", "used"))...)
	})
}
