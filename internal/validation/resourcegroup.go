package validation

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	resourcev1 "k8s.io/api/resource/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// resource.k8s.io validation covers names and required fields; CEL selectors are
// required where upstream requires them but not compiled, and device attributes,
// capacities and counters are not checked.

var (
	draAllocationModes = []resourcev1.DeviceAllocationMode{resourcev1.DeviceAllocationModeAll, resourcev1.DeviceAllocationModeExactCount}
	draTolerationOps   = []resourcev1.DeviceTolerationOperator{resourcev1.DeviceTolerationOpEqual, resourcev1.DeviceTolerationOpExists}
	draTaintEffects    = []resourcev1.DeviceTaintEffect{resourcev1.DeviceTaintEffectNoExecute, resourcev1.DeviceTaintEffectNoSchedule, resourcev1.DeviceTaintEffectNone}
)

// draDriverName is the CSI driver name rule: a DNS subdomain of at most 63 characters.
func draDriverName(name string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if name == "" {
		allErrs = append(allErrs, field.Required(p, ""))
	}
	if len(name) > 63 {
		allErrs = append(allErrs, field.TooLong(p, "", 63))
	}
	for _, msg := range utilvalidation.IsDNS1123Subdomain(strings.ToLower(name)) {
		allErrs = append(allErrs, field.Invalid(p, name, msg))
	}
	return allErrs
}

// draPoolName is one or more DNS subdomains separated by "/", at most 253 long.
func draPoolName(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var allErrs field.ErrorList
	if len(name) > utilvalidation.DNS1123SubdomainMaxLength {
		allErrs = append(allErrs, field.TooLong(p, "", utilvalidation.DNS1123SubdomainMaxLength))
	}
	for _, part := range strings.Split(name, "/") {
		allErrs = append(allErrs, dns1123Subdomain(part, p)...)
	}
	return allErrs
}

func draClaimSpec(spec *resourcev1.ResourceClaimSpec, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	rp := p.Child("devices", "requests")
	names := map[string]bool{}
	for i, r := range spec.Devices.Requests {
		ip := rp.Index(i)
		allErrs = append(allErrs, dns1123Label(r.Name, ip.Child("name"))...)
		if names[r.Name] {
			allErrs = append(allErrs, field.Duplicate(ip, r.Name))
		}
		names[r.Name] = true
		switch {
		case r.Exactly == nil && len(r.FirstAvailable) == 0:
			allErrs = append(allErrs, field.Required(ip, "exactly one of `exactly` or `firstAvailable` is required"))
		case r.Exactly != nil && len(r.FirstAvailable) > 0:
			allErrs = append(allErrs, field.Invalid(ip, nil, "exactly one of `exactly` or `firstAvailable` is required, but multiple fields are set"))
		case r.Exactly != nil:
			e, ep := r.Exactly, ip.Child("exactly")
			allErrs = append(allErrs, draDeviceRequest(e.DeviceClassName, e.Selectors, e.AllocationMode, e.Count, e.Tolerations, ep)...)
		default:
			subNames := map[string]bool{}
			for j, s := range r.FirstAvailable {
				sp := ip.Child("firstAvailable").Index(j)
				allErrs = append(allErrs, dns1123Label(s.Name, sp.Child("name"))...)
				if subNames[s.Name] {
					allErrs = append(allErrs, field.Duplicate(sp, s.Name))
				}
				subNames[s.Name] = true
				allErrs = append(allErrs, draDeviceRequest(s.DeviceClassName, s.Selectors, s.AllocationMode, s.Count, s.Tolerations, sp)...)
			}
		}
	}
	for i, c := range spec.Devices.Constraints {
		for j, req := range c.Requests {
			if !names[strings.Split(req, "/")[0]] {
				allErrs = append(allErrs, field.Invalid(p.Child("devices", "constraints").Index(i).Child("requests").Index(j), req, "must be the name of a request in the claim or the name of a request and a subrequest separated by '/'"))
			}
		}
	}
	return allErrs
}

func draDeviceRequest(class string, selectors []resourcev1.DeviceSelector, mode resourcev1.DeviceAllocationMode, count int64,
	tolerations []resourcev1.DeviceToleration, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if class == "" {
		allErrs = append(allErrs, field.Required(p.Child("deviceClassName"), ""))
	} else {
		allErrs = append(allErrs, dns1123Subdomain(class, p.Child("deviceClassName"))...)
	}
	allErrs = append(allErrs, draSelectors(selectors, p.Child("selectors"))...)
	switch mode {
	case resourcev1.DeviceAllocationModeAll:
		if count != 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("count"), count, fmt.Sprintf("must not be specified when allocationMode is '%s'", mode)))
		}
	case resourcev1.DeviceAllocationModeExactCount:
		if count <= 0 {
			allErrs = append(allErrs, field.Invalid(p.Child("count"), count, "must be greater than zero"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("allocationMode"), mode, draAllocationModes))
	}
	for i, t := range tolerations {
		tp := p.Child("tolerations").Index(i)
		if t.Key != "" {
			allErrs = append(allErrs, metav1validation.ValidateLabelName(t.Key, tp.Child("key"))...)
		}
		switch t.Operator {
		case resourcev1.DeviceTolerationOpExists:
			if t.Value != "" {
				allErrs = append(allErrs, field.Invalid(tp.Child("value"), t.Value, "must be empty for operator `Exists`"))
			}
		case resourcev1.DeviceTolerationOpEqual:
			for _, msg := range utilvalidation.IsValidLabelValue(t.Value) {
				allErrs = append(allErrs, field.Invalid(tp.Child("value"), t.Value, msg))
			}
		case "":
			allErrs = append(allErrs, field.Required(tp.Child("operator"), ""))
		default:
			allErrs = append(allErrs, field.NotSupported(tp.Child("operator"), t.Operator, draTolerationOps))
		}
		if t.Effect != "" && !slices.Contains(draTaintEffects, t.Effect) {
			allErrs = append(allErrs, field.NotSupported(tp.Child("effect"), t.Effect, draTaintEffects))
		}
	}
	return allErrs
}

func draSelectors(selectors []resourcev1.DeviceSelector, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, s := range selectors {
		switch {
		case s.CEL == nil:
			allErrs = append(allErrs, field.Required(p.Index(i).Child("cel"), ""))
		case strings.TrimSpace(s.CEL.Expression) == "":
			allErrs = append(allErrs, field.Required(p.Index(i).Child("cel", "expression"), ""))
		}
	}
	return allErrs
}

// ValidateResourceClaim checks a claim on create.
func ValidateResourceClaim(obj runtime.Object) field.ErrorList {
	return create(obj, func(c *resourcev1.ResourceClaim) field.ErrorList {
		allErrs := objectMeta(&c.ObjectMeta, true, NameIsDNSSubdomain)
		return append(allErrs, draClaimSpec(&c.Spec, field.NewPath("spec"))...)
	})
}

// ValidateResourceClaimUpdate keeps the spec fixed.
func ValidateResourceClaimUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(c, old *resourcev1.ResourceClaim) field.ErrorList {
		allErrs := objectMeta(&c.ObjectMeta, true, NameIsDNSSubdomain)
		allErrs = append(allErrs, objectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta)...)
		return append(allErrs, immutable(c.Spec, old.Spec, field.NewPath("spec"))...)
	})
}

// ValidateResourceClaimStatusUpdate checks that reservations name their consumer
// and that the allocation does not change while the claim is reserved.
func ValidateResourceClaimStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(c, old *resourcev1.ResourceClaim) field.ErrorList {
		allErrs := objectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta)
		p := field.NewPath("status")
		for i, r := range c.Status.ReservedFor {
			rp := p.Child("reservedFor").Index(i)
			if r.Resource == "" {
				allErrs = append(allErrs, field.Required(rp.Child("resource"), ""))
			}
			if r.Name == "" {
				allErrs = append(allErrs, field.Required(rp.Child("name"), ""))
			}
			if r.UID == "" {
				allErrs = append(allErrs, field.Required(rp.Child("uid"), ""))
			}
		}
		if old.Status.Allocation != nil && c.Status.Allocation != nil {
			allErrs = append(allErrs, immutable(c.Status.Allocation, old.Status.Allocation, p.Child("allocation"))...)
		}
		if len(c.Status.ReservedFor) > 0 && c.Status.Allocation == nil {
			allErrs = append(allErrs, field.Forbidden(p.Child("reservedFor"), "may not be specified when `allocated` is not set"))
		}
		return allErrs
	})
}

// ValidateResourceClaimTemplate checks a template on create.
func ValidateResourceClaimTemplate(obj runtime.Object) field.ErrorList {
	return create(obj, func(t *resourcev1.ResourceClaimTemplate) field.ErrorList {
		allErrs := objectMeta(&t.ObjectMeta, true, NameIsDNSSubdomain)
		return append(allErrs, draClaimSpec(&t.Spec.Spec, field.NewPath("spec", "spec"))...)
	})
}

// ValidateResourceClaimTemplateUpdate keeps the spec fixed.
func ValidateResourceClaimTemplateUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(t, old *resourcev1.ResourceClaimTemplate) field.ErrorList {
		allErrs := objectMetaUpdate(&t.ObjectMeta, &old.ObjectMeta)
		return append(allErrs, immutable(t.Spec, old.Spec, field.NewPath("spec"))...)
	})
}

// ValidateDeviceClass checks a class on create.
func ValidateDeviceClass(obj runtime.Object) field.ErrorList {
	return create(obj, func(c *resourcev1.DeviceClass) field.ErrorList {
		return draDeviceClass(c)
	})
}

func draDeviceClass(c *resourcev1.DeviceClass) field.ErrorList {
	allErrs := objectMeta(&c.ObjectMeta, false, NameIsDNSSubdomain)
	p := field.NewPath("spec")
	allErrs = append(allErrs, draSelectors(c.Spec.Selectors, p.Child("selectors"))...)
	for i, cfg := range c.Spec.Config {
		cp := p.Child("config").Index(i)
		if cfg.Opaque == nil {
			allErrs = append(allErrs, field.Required(cp.Child("opaque"), ""))
			continue
		}
		allErrs = append(allErrs, draDriverName(cfg.Opaque.Driver, cp.Child("opaque", "driver"))...)
	}
	if n := c.Spec.ExtendedResourceName; n != nil && !isExtended(corev1.ResourceName(*n)) {
		allErrs = append(allErrs, field.Invalid(p.Child("extendedResourceName"), *n, "must be a valid extended resource name"))
	}
	return allErrs
}

// ValidateDeviceClassUpdate revalidates the class.
func ValidateDeviceClassUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(c, old *resourcev1.DeviceClass) field.ErrorList {
		return append(draDeviceClass(c), objectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta)...)
	})
}

// ValidateResourceSlice checks a slice on create.
func ValidateResourceSlice(obj runtime.Object) field.ErrorList {
	return create(obj, func(s *resourcev1.ResourceSlice) field.ErrorList {
		return append(objectMeta(&s.ObjectMeta, false, NameIsDNSSubdomain), draSliceSpec(&s.Spec)...)
	})
}

func draSliceSpec(spec *resourcev1.ResourceSliceSpec) field.ErrorList {
	p := field.NewPath("spec")
	allErrs := draDriverName(spec.Driver, p.Child("driver"))
	pp := p.Child("pool")
	allErrs = append(allErrs, draPoolName(spec.Pool.Name, pp.Child("name"))...)
	if spec.Pool.ResourceSliceCount <= 0 {
		allErrs = append(allErrs, field.Invalid(pp.Child("resourceSliceCount"), spec.Pool.ResourceSliceCount, "must be greater than zero"))
	}
	if spec.Pool.Generation < 0 {
		allErrs = append(allErrs, field.Invalid(pp.Child("generation"), spec.Pool.Generation, "must be greater than or equal to zero"))
	}
	var set []string
	if n := spec.NodeName; n != nil {
		if *n == "" {
			allErrs = append(allErrs, field.Invalid(p.Child("nodeName"), *n, "must be either unset or set to a non-empty string"))
		} else {
			set = append(set, "`nodeName`")
			allErrs = append(allErrs, dns1123Subdomain(*n, p.Child("nodeName"))...)
		}
	}
	if spec.NodeSelector != nil {
		set = append(set, "`nodeSelector`")
		if len(spec.NodeSelector.NodeSelectorTerms) != 1 {
			allErrs = append(allErrs, field.Invalid(p.Child("nodeSelector", "nodeSelectorTerms"), spec.NodeSelector.NodeSelectorTerms, "must have exactly one node selector term"))
		}
	}
	for _, b := range []struct {
		name string
		v    *bool
	}{{"allNodes", spec.AllNodes}, {"perDeviceNodeSelection", spec.PerDeviceNodeSelection}} {
		if b.v == nil {
			continue
		}
		if *b.v {
			set = append(set, "`"+b.name+"`")
		} else {
			allErrs = append(allErrs, field.Invalid(p.Child(b.name), *b.v, "must be either unset or set to true"))
		}
	}
	switch len(set) {
	case 0:
		allErrs = append(allErrs, field.Required(p, "exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required"))
	case 1:
	default:
		allErrs = append(allErrs, field.Invalid(p, fmt.Sprintf("{%s}", strings.Join(set, ", ")),
			"exactly one of `nodeName`, `nodeSelector`, `allNodes`, `perDeviceNodeSelection` is required, but multiple fields are set"))
	}
	names := map[string]bool{}
	for i, d := range spec.Devices {
		dp := p.Child("devices").Index(i)
		allErrs = append(allErrs, dns1123Label(d.Name, dp.Child("name"))...)
		if names[d.Name] {
			allErrs = append(allErrs, field.Duplicate(dp.Child("name"), d.Name))
		}
		names[d.Name] = true
		for j, t := range d.Taints {
			allErrs = append(allErrs, draTaint(t, nil, dp.Child("taints").Index(j))...)
		}
	}
	return allErrs
}

// ValidateResourceSliceUpdate keeps the driver, pool and node fixed.
func ValidateResourceSliceUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(s, old *resourcev1.ResourceSlice) field.ErrorList {
		allErrs := objectMetaUpdate(&s.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, draSliceSpec(&s.Spec)...)
		p := field.NewPath("spec")
		allErrs = append(allErrs, immutable(s.Spec.Pool.Name, old.Spec.Pool.Name, p.Child("pool", "name"))...)
		allErrs = append(allErrs, immutable(s.Spec.Driver, old.Spec.Driver, p.Child("driver"))...)
		return append(allErrs, immutable(s.Spec.NodeName, old.Spec.NodeName, p.Child("nodeName"))...)
	})
}

// draTaint checks a taint; an unchanged effect is not checked again.
func draTaint(t resourcev1.DeviceTaint, old *resourcev1.DeviceTaint, p *field.Path) field.ErrorList {
	allErrs := metav1validation.ValidateLabelName(t.Key, p.Child("key"))
	if t.Value != "" {
		for _, msg := range utilvalidation.IsValidLabelValue(t.Value) {
			allErrs = append(allErrs, field.Invalid(p.Child("value"), t.Value, msg))
		}
	}
	if old == nil || old.Effect != t.Effect {
		switch {
		case t.Effect == "":
			allErrs = append(allErrs, field.Required(p.Child("effect"), ""))
		case !slices.Contains(draTaintEffects, t.Effect):
			allErrs = append(allErrs, field.NotSupported(p.Child("effect"), t.Effect, draTaintEffects))
		}
	}
	return allErrs
}

func draTaintRule(r *resourcev1.DeviceTaintRule, old *resourcev1.DeviceTaintRule) field.ErrorList {
	p := field.NewPath("spec")
	var allErrs field.ErrorList
	if sel := r.Spec.DeviceSelector; sel != nil {
		sp := p.Child("deviceSelector")
		if sel.Driver != nil {
			allErrs = append(allErrs, draDriverName(*sel.Driver, sp.Child("driver"))...)
		}
		if sel.Pool != nil {
			allErrs = append(allErrs, draPoolName(*sel.Pool, sp.Child("pool"))...)
		}
		if sel.Device != nil {
			allErrs = append(allErrs, dns1123Label(*sel.Device, sp.Child("device"))...)
		}
	}
	var oldTaint *resourcev1.DeviceTaint
	if old != nil {
		oldTaint = &old.Spec.Taint
	}
	return append(allErrs, draTaint(r.Spec.Taint, oldTaint, p.Child("taint"))...)
}

// ValidateDeviceTaintRule checks a rule on create.
func ValidateDeviceTaintRule(obj runtime.Object) field.ErrorList {
	return create(obj, func(r *resourcev1.DeviceTaintRule) field.ErrorList {
		return append(objectMeta(&r.ObjectMeta, false, NameIsDNSSubdomain), draTaintRule(r, nil)...)
	})
}

// ValidateDeviceTaintRuleUpdate revalidates the rule.
func ValidateDeviceTaintRuleUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(r, old *resourcev1.DeviceTaintRule) field.ErrorList {
		return append(objectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta), draTaintRule(r, old)...)
	})
}

// ValidateDeviceTaintRuleStatusUpdate checks the conditions.
func ValidateDeviceTaintRuleStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(r, old *resourcev1.DeviceTaintRule) field.ErrorList {
		allErrs := objectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta)
		return append(allErrs, metav1validation.ValidateConditions(r.Status.Conditions, field.NewPath("status", "conditions"))...)
	})
}
