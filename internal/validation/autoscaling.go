package validation

import (
	"fmt"
	"slices"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Upper bounds of the HPA scaling rules.
const (
	hpaMaxPeriodSeconds        = 1800
	hpaMaxStabilizationSeconds = 3600
)

var (
	hpaMetricTypes = []string{string(autoscalingv2.ContainerResourceMetricSourceType), string(autoscalingv2.ExternalMetricSourceType),
		string(autoscalingv2.ObjectMetricSourceType), string(autoscalingv2.PodsMetricSourceType), string(autoscalingv2.ResourceMetricSourceType)}
	hpaSelectPolicies = []string{string(autoscalingv2.DisabledPolicySelect), string(autoscalingv2.MaxChangePolicySelect),
		string(autoscalingv2.MinChangePolicySelect)}
	hpaPolicyTypes = []string{string(autoscalingv2.PercentScalingPolicy), string(autoscalingv2.PodsScalingPolicy)}
)

// hpaRefOptions relax the check of an object reference's apiVersion.
type hpaRefOptions struct {
	allowEmptyGroup     bool
	allowInvalidVersion bool
}

// hpaOptions are upstream's strategy options; scale to zero is on in v1.37.
type hpaOptions struct {
	target, object hpaRefOptions
}

func hpaOptionsFor(h, old *autoscalingv2.HorizontalPodAutoscaler) hpaOptions {
	opts := hpaOptions{object: hpaRefOptions{allowEmptyGroup: true}}
	ref := h.Spec.ScaleTargetRef
	switch {
	case old != nil && old.Spec.ScaleTargetRef.APIVersion == ref.APIVersion && old.Spec.ScaleTargetRef.Kind == ref.Kind:
		opts.target.allowInvalidVersion = true
	case ref.Kind == "ReplicationController":
		opts.target.allowEmptyGroup = true
	}
	if old != nil {
		for _, m := range old.Spec.Metrics {
			if m.Type == autoscalingv2.ObjectMetricSourceType && m.Object != nil && hpaAPIVersion(m.Object.DescribedObject, opts.object) != nil {
				opts.object.allowInvalidVersion = true
				break
			}
		}
	}
	return opts
}

// ValidateHorizontalPodAutoscaler checks an autoscaler (stored as autoscaling/v2)
// on create.
func ValidateHorizontalPodAutoscaler(obj runtime.Object) field.ErrorList {
	return create(obj, func(h *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
		return append(objectMeta(&h.ObjectMeta, true, NameIsDNSSubdomain), hpaSpec(&h.Spec, hpaOptionsFor(h, nil))...)
	})
}

// ValidateHorizontalPodAutoscalerUpdate checks an update; every spec field may change.
func ValidateHorizontalPodAutoscalerUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(h, old *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
		return append(objectMetaUpdate(&h.ObjectMeta, &old.ObjectMeta), hpaSpec(&h.Spec, hpaOptionsFor(h, old))...)
	})
}

// ValidateHorizontalPodAutoscalerStatusUpdate checks replica counts and condition
// generations.
func ValidateHorizontalPodAutoscalerStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(h, old *autoscalingv2.HorizontalPodAutoscaler) field.ErrorList {
		allErrs := objectMetaUpdate(&h.ObjectMeta, &old.ObjectMeta)
		p := field.NewPath("status")
		for i, c := range h.Status.Conditions {
			if c.ObservedGeneration != nil {
				allErrs = append(allErrs, nonNegative(*c.ObservedGeneration, p.Child("conditions").Index(i).Child("observedGeneration"))...)
			}
		}
		allErrs = append(allErrs, nonNegative(int64(h.Status.CurrentReplicas), p.Child("currentReplicas"))...)
		return append(allErrs, nonNegative(int64(h.Status.DesiredReplicas), p.Child("desiredReplicas"))...)
	})
}

func hpaSpec(spec *autoscalingv2.HorizontalPodAutoscalerSpec, opts hpaOptions) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("spec")
	if spec.MinReplicas != nil && *spec.MinReplicas < 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("minReplicas"), *spec.MinReplicas, "must be greater than or equal to 0"))
	}
	switch {
	case spec.MaxReplicas == 0:
		allErrs = append(allErrs, field.Required(p.Child("maxReplicas"), "must be set and greater than 0"))
	case spec.MaxReplicas < 0:
		allErrs = append(allErrs, field.Invalid(p.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to 1"))
	}
	if spec.MinReplicas != nil && spec.MaxReplicas < *spec.MinReplicas {
		allErrs = append(allErrs, field.Invalid(p.Child("maxReplicas"), spec.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	allErrs = append(allErrs, hpaObjectRef(spec.ScaleTargetRef, p.Child("scaleTargetRef"), opts.target)...)

	mp := p.Child("metrics")
	scalesOnObjects := false
	for i := range spec.Metrics {
		m := &spec.Metrics[i]
		allErrs = append(allErrs, hpaMetric(m, mp.Index(i), opts.object)...)
		if m.Type == autoscalingv2.ObjectMetricSourceType || m.Type == autoscalingv2.ExternalMetricSourceType {
			scalesOnObjects = true
		}
	}
	if spec.MinReplicas != nil && *spec.MinReplicas == 0 && !scalesOnObjects {
		allErrs = append(allErrs, field.Forbidden(mp, "must specify at least one Object or External metric to support scaling to zero replicas"))
	}
	if b := spec.Behavior; b != nil {
		allErrs = append(allErrs, hpaScalingRules(b.ScaleUp, p.Child("behavior", "scaleUp"))...)
		allErrs = append(allErrs, hpaScalingRules(b.ScaleDown, p.Child("behavior", "scaleDown"))...)
	}
	return allErrs
}

func hpaObjectRef(ref autoscalingv2.CrossVersionObjectReference, p *field.Path, opts hpaRefOptions) field.ErrorList {
	var allErrs field.ErrorList
	for _, f := range []struct{ name, value string }{{"kind", ref.Kind}, {"name", ref.Name}} {
		if f.value == "" {
			allErrs = append(allErrs, field.Required(p.Child(f.name), ""))
			continue
		}
		for _, msg := range content.IsPathSegmentName(f.value) {
			allErrs = append(allErrs, field.Invalid(p.Child(f.name), f.value, msg))
		}
	}
	if err := hpaAPIVersion(ref, opts); err != nil {
		allErrs = append(allErrs, field.Invalid(p.Child("apiVersion"), ref.APIVersion, err.Error()))
	}
	return allErrs
}

func hpaAPIVersion(ref autoscalingv2.CrossVersionObjectReference, opts hpaRefOptions) error {
	if opts.allowInvalidVersion {
		return nil
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return err
	}
	if !opts.allowEmptyGroup && gv.Group == "" {
		return fmt.Errorf("apiVersion must specify API group")
	}
	return nil
}

func hpaScalingRules(r *autoscalingv2.HPAScalingRules, p *field.Path) field.ErrorList {
	if r == nil {
		return nil
	}
	var allErrs field.ErrorList
	if w := r.StabilizationWindowSeconds; w != nil {
		if *w < 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("stabilizationWindowSeconds"), w, "must be greater than or equal to zero"))
		}
		if *w > hpaMaxStabilizationSeconds {
			allErrs = append(allErrs, field.Invalid(p.Child("stabilizationWindowSeconds"), w, fmt.Sprintf("must be less than or equal to %v", hpaMaxStabilizationSeconds)))
		}
	}
	if r.SelectPolicy != nil && !slices.Contains(hpaSelectPolicies, string(*r.SelectPolicy)) {
		allErrs = append(allErrs, field.NotSupported(p.Child("selectPolicy"), r.SelectPolicy, hpaSelectPolicies))
	}
	pp := p.Child("policies")
	if len(r.Policies) == 0 {
		allErrs = append(allErrs, field.Required(pp, "must specify at least one Policy"))
	}
	for i, pol := range r.Policies {
		ip := pp.Index(i)
		if pol.Type != autoscalingv2.PodsScalingPolicy && pol.Type != autoscalingv2.PercentScalingPolicy {
			allErrs = append(allErrs, field.NotSupported(ip.Child("type"), pol.Type, hpaPolicyTypes))
		}
		if pol.Value <= 0 {
			allErrs = append(allErrs, field.Invalid(ip.Child("value"), pol.Value, isNotPositiveMsg))
		}
		if pol.PeriodSeconds <= 0 {
			allErrs = append(allErrs, field.Invalid(ip.Child("periodSeconds"), pol.PeriodSeconds, isNotPositiveMsg))
		}
		if pol.PeriodSeconds > hpaMaxPeriodSeconds {
			allErrs = append(allErrs, field.Invalid(ip.Child("periodSeconds"), pol.PeriodSeconds, fmt.Sprintf("must be less than or equal to %v", hpaMaxPeriodSeconds)))
		}
	}
	if r.Tolerance != nil && r.Tolerance.Cmp(resource.Quantity{}) < 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("tolerance"), r.Tolerance.String(), isNegativeMsg))
	}
	return allErrs
}

// hpaMetric checks that exactly the source named by type is set, and that source.
func hpaMetric(m *autoscalingv2.MetricSpec, p *field.Path, objOpts hpaRefOptions) field.ErrorList {
	var allErrs field.ErrorList
	if m.Type == "" {
		allErrs = append(allErrs, field.Required(p.Child("type"), "must specify a metric source type"))
	}
	if !slices.Contains(hpaMetricTypes, string(m.Type)) {
		allErrs = append(allErrs, field.NotSupported(p.Child("type"), m.Type, hpaMetricTypes))
	}
	// Only the first source present (in upstream's order) is checked in depth.
	var present []string
	if m.Object != nil {
		if present = append(present, "object"); len(present) == 1 {
			allErrs = append(allErrs, hpaObjectSource(m.Object, p.Child("object"), objOpts)...)
		}
	}
	if m.External != nil {
		if present = append(present, "external"); len(present) == 1 {
			allErrs = append(allErrs, hpaExternalSource(m.External, p.Child("external"))...)
		}
	}
	if m.Pods != nil {
		if present = append(present, "pods"); len(present) == 1 {
			allErrs = append(allErrs, hpaPodsSource(m.Pods, p.Child("pods"))...)
		}
	}
	if m.Resource != nil {
		if present = append(present, "resource"); len(present) == 1 {
			allErrs = append(allErrs, hpaResourceTarget(m.Resource.Name, nil, m.Resource.Target, p.Child("resource"))...)
		}
	}
	if m.ContainerResource != nil {
		if present = append(present, "containerResource"); len(present) == 1 {
			c := m.ContainerResource
			allErrs = append(allErrs, hpaResourceTarget(c.Name, &c.Container, c.Target, p.Child("containerResource"))...)
		}
	}
	expected := map[autoscalingv2.MetricSourceType]struct {
		name string
		set  bool
	}{
		autoscalingv2.ObjectMetricSourceType:            {"object", m.Object != nil},
		autoscalingv2.PodsMetricSourceType:              {"pods", m.Pods != nil},
		autoscalingv2.ResourceMetricSourceType:          {"resource", m.Resource != nil},
		autoscalingv2.ExternalMetricSourceType:          {"external", m.External != nil},
		autoscalingv2.ContainerResourceMetricSourceType: {"containerResource", m.ContainerResource != nil},
	}
	want, known := expected[m.Type]
	switch {
	case !known:
		allErrs = append(allErrs, field.NotSupported(p.Child("type"), m.Type, hpaMetricTypes))
	case !want.set:
		allErrs = append(allErrs, field.Required(p.Child(want.name), "must populate information for the given metric source"))
	}
	if len(present) != 1 {
		for _, name := range present {
			if name != want.name {
				allErrs = append(allErrs, field.Forbidden(p.Child(name), "must populate the given metric source only"))
			}
		}
	}
	return allErrs
}

func hpaObjectSource(src *autoscalingv2.ObjectMetricSource, p *field.Path, opts hpaRefOptions) field.ErrorList {
	allErrs := hpaObjectRef(src.DescribedObject, p.Child("describedObject"), opts)
	allErrs = append(allErrs, hpaMetricName(src.Metric, p.Child("metric"))...)
	allErrs = append(allErrs, hpaTarget(src.Target, p.Child("target"))...)
	if src.Target.Value == nil && src.Target.AverageValue == nil {
		allErrs = append(allErrs, field.Required(p.Child("target", "averageValue"), "must set either a target value or averageValue"))
	}
	return allErrs
}

func hpaExternalSource(src *autoscalingv2.ExternalMetricSource, p *field.Path) field.ErrorList {
	allErrs := hpaMetricName(src.Metric, p.Child("metric"))
	allErrs = append(allErrs, hpaTarget(src.Target, p.Child("target"))...)
	if src.Target.Value == nil && src.Target.AverageValue == nil {
		allErrs = append(allErrs, field.Required(p.Child("target", "averageValue"), "must set either a target value for metric or a per-pod target"))
	}
	if src.Target.Value != nil && src.Target.AverageValue != nil {
		allErrs = append(allErrs, field.Forbidden(p.Child("target", "value"), "may not set both a target value for metric and a per-pod target"))
	}
	return allErrs
}

func hpaPodsSource(src *autoscalingv2.PodsMetricSource, p *field.Path) field.ErrorList {
	allErrs := hpaMetricName(src.Metric, p.Child("metric"))
	allErrs = append(allErrs, hpaTarget(src.Target, p.Child("target"))...)
	if src.Target.AverageValue == nil {
		allErrs = append(allErrs, field.Required(p.Child("target", "averageValue"), "must specify a positive target averageValue"))
	}
	return allErrs
}

// hpaResourceTarget checks a resource or (with container set) container resource
// metric source.
func hpaResourceTarget(name corev1.ResourceName, container *string, t autoscalingv2.MetricTarget, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case name == "":
		allErrs = append(allErrs, field.Required(p.Child("name"), "must specify a resource name"))
	case container != nil:
		allErrs = append(allErrs, containerResourceName(name, p.Child("name"))...)
	}
	if container != nil {
		if *container == "" {
			allErrs = append(allErrs, field.Required(p.Child("container"), "must specify a container"))
		} else {
			allErrs = append(allErrs, dns1123Label(*container, p.Child("container"))...)
		}
	}
	allErrs = append(allErrs, hpaTarget(t, p.Child("target"))...)
	if t.AverageUtilization == nil && t.AverageValue == nil {
		allErrs = append(allErrs, field.Required(p.Child("target", "averageUtilization"), "must set either a target raw value or a target utilization"))
	}
	if t.AverageUtilization != nil && t.AverageValue != nil {
		allErrs = append(allErrs, field.Forbidden(p.Child("target", "averageValue"), "may not set both a target raw value and a target utilization"))
	}
	return allErrs
}

func hpaTarget(t autoscalingv2.MetricTarget, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if t.Type == "" {
		allErrs = append(allErrs, field.Required(p.Child("type"), "must specify a metric target type"))
	}
	if t.Type != autoscalingv2.UtilizationMetricType && t.Type != autoscalingv2.ValueMetricType && t.Type != autoscalingv2.AverageValueMetricType {
		allErrs = append(allErrs, field.Invalid(p.Child("type"), t.Type, "must be either Utilization, Value, or AverageValue"))
	}
	if t.Value != nil && t.Value.Sign() != 1 {
		allErrs = append(allErrs, field.Invalid(p.Child("value"), t.Value, "must be positive"))
	}
	if t.AverageValue != nil && t.AverageValue.Sign() != 1 {
		allErrs = append(allErrs, field.Invalid(p.Child("averageValue"), t.AverageValue, "must be positive"))
	}
	if t.AverageUtilization != nil && *t.AverageUtilization < 1 {
		allErrs = append(allErrs, field.Invalid(p.Child("averageUtilization"), t.AverageUtilization, "must be greater than 0"))
	}
	return allErrs
}

func hpaMetricName(id autoscalingv2.MetricIdentifier, p *field.Path) field.ErrorList {
	if id.Name == "" {
		return field.ErrorList{field.Required(p.Child("name"), "must specify a metric name")}
	}
	var allErrs field.ErrorList
	for _, msg := range content.IsPathSegmentName(id.Name) {
		allErrs = append(allErrs, field.Invalid(p.Child("name"), id.Name, msg))
	}
	return allErrs
}
