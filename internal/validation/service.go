package validation

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

var (
	serviceTypes      = []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeExternalName, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort}
	sessionAffinities = []corev1.ServiceAffinity{corev1.ServiceAffinityClientIP, corev1.ServiceAffinityNone}
)

// clusterIPs is the effective list: clusterIPs when set, else clusterIP, because
// the versioned object may carry only the singular field.
func clusterIPs(s *corev1.Service) []string {
	if len(s.Spec.ClusterIPs) > 0 {
		return s.Spec.ClusterIPs
	}
	if s.Spec.ClusterIP != "" {
		return []string{s.Spec.ClusterIP}
	}
	return nil
}

func isHeadless(s *corev1.Service) bool {
	ips := clusterIPs(s)
	return len(ips) == 1 && ips[0] == corev1.ClusterIPNone
}

// ValidateService checks a service on create. Names are DNS-1123 labels since
// RelaxedServiceNameValidation went GA in v1.37.
func ValidateService(obj runtime.Object) field.ErrorList {
	return create(obj, func(s *corev1.Service) field.ErrorList {
		allErrs := append(objectMeta(&s.ObjectMeta, true, NameIsDNSLabel), validateService(s)...)
		return append(allErrs, clusterIPFields(s, nil)...)
	})
}

// ValidateServiceUpdate additionally forbids changing an allocated cluster IP.
func ValidateServiceUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(s, old *corev1.Service) field.ErrorList {
		allErrs := objectMetaUpdate(&s.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, clusterIPsUpdate(s, old)...)
		allErrs = append(allErrs, validateService(s)...)
		return append(allErrs, clusterIPFields(s, old)...)
	})
}

// ValidateServiceStatusUpdate checks the load balancer ingress addresses.
func ValidateServiceStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(s, old *corev1.Service) field.ErrorList {
		allErrs := objectMetaUpdate(&s.ObjectMeta, &old.ObjectMeta)
		p := field.NewPath("status", "loadBalancer", "ingress")
		for i, ing := range s.Status.LoadBalancer.Ingress {
			idx := p.Index(i)
			if ing.IP != "" {
				allErrs = append(allErrs, utilvalidation.IsValidIPForLegacyField(idx.Child("ip"), ing.IP, strictIP, nil)...)
			}
			if ing.Hostname != "" {
				allErrs = append(allErrs, dns1123Subdomain(ing.Hostname, idx.Child("hostname"))...)
			}
		}
		return allErrs
	})
}

// clusterIPsUpdate mirrors upstream: an allocated IP "may not change once set"
// unless the service moves to or from ExternalName or stays headless.
func clusterIPsUpdate(s, old *corev1.Service) field.ErrorList {
	if s.Spec.Type == corev1.ServiceTypeExternalName || old.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if isHeadless(s) && isHeadless(old) {
		return nil
	}
	now, was := clusterIPs(s), clusterIPs(old)
	p := field.NewPath("spec", "clusterIPs")
	var allErrs field.ErrorList
	switch {
	case len(now) == len(was):
		for i := range was {
			if was[i] != now[i] {
				allErrs = append(allErrs, field.Invalid(p.Index(i), now, "may not change once set"))
			}
		}
	case len(was) > len(now):
		if len(now) == 0 {
			allErrs = append(allErrs, field.Invalid(p.Index(0), now, "primary clusterIP can not be unset"))
		} else if now[0] != was[0] {
			allErrs = append(allErrs, field.Invalid(p.Index(0), now, "may not change once set"))
		}
	default:
		if len(was) > 0 && now[0] != was[0] {
			allErrs = append(allErrs, field.Invalid(p.Index(0), now, "may not change once set"))
		}
	}
	return allErrs
}

var (
	serviceIPFamilies       = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
	serviceIPFamilyPolicies = []corev1.IPFamilyPolicy{corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack, corev1.IPFamilyPolicySingleStack}
)

// clusterIPFields checks clusterIP, clusterIPs, ipFamilies and ipFamilyPolicy
// together, as upstream does for every Service but an ExternalName (whose own
// checks forbid them): clusterIPs starts with clusterIP, holds a valid address
// per family (or only None), and agrees with ipFamilies. Addresses old already
// had pass even where today's rules are stricter.
func clusterIPFields(s, old *corev1.Service) field.ErrorList {
	spec := &s.Spec
	if spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	var allErrs field.ErrorList
	specPath := field.NewPath("spec")
	ipsPath, familiesPath := specPath.Child("clusterIPs"), specPath.Child("ipFamilies")
	switch {
	case spec.ClusterIP != "" && len(spec.ClusterIPs) == 0:
		allErrs = append(allErrs, field.Required(ipsPath, ""))
	case spec.ClusterIP != "" && spec.ClusterIPs[0] != spec.ClusterIP:
		allErrs = append(allErrs, field.Invalid(ipsPath, spec.ClusterIPs, "first value must match `clusterIP`"))
	case spec.ClusterIP == "" && len(spec.ClusterIPs) != 0:
		allErrs = append(allErrs, field.Invalid(ipsPath, spec.ClusterIPs, "must be empty when `clusterIP` is not specified"))
	}
	seen := map[corev1.IPFamily]bool{}
	for i, family := range spec.IPFamilies {
		if !slices.Contains(serviceIPFamilies, family) {
			allErrs = append(allErrs, field.NotSupported(familiesPath.Index(i), family, serviceIPFamilies))
		}
		if seen[family] {
			allErrs = append(allErrs, field.Duplicate(familiesPath.Index(i), family))
		}
		seen[family] = true
	}
	if p := spec.IPFamilyPolicy; p != nil && !slices.Contains(serviceIPFamilyPolicies, *p) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("ipFamilyPolicy"), *p, serviceIPFamilyPolicies))
	}
	var existing []string
	if old != nil {
		existing = old.Spec.ClusterIPs
	}
	badIPs := false
	for i, ip := range spec.ClusterIPs {
		if i == 0 && ip == corev1.ClusterIPNone {
			if len(spec.ClusterIPs) > 1 {
				badIPs = true
				allErrs = append(allErrs, field.Invalid(ipsPath, spec.ClusterIPs, "'None' must be the first and only value"))
			}
			continue
		}
		errs := utilvalidation.IsValidIPForLegacyField(ipsPath.Index(i), ip, strictIP, existing)
		badIPs = badIPs || len(errs) > 0
		allErrs = append(allErrs, errs...)
	}
	if len(spec.ClusterIPs) > 2 {
		allErrs = append(allErrs, field.Invalid(ipsPath, spec.ClusterIPs, "may only hold up to 2 values"))
	}
	// Family checks of addresses that are not valid would only add noise.
	if badIPs {
		return allErrs
	}
	if len(spec.ClusterIPs) == 2 && netutils.IsIPv6String(spec.ClusterIPs[0]) == netutils.IsIPv6String(spec.ClusterIPs[1]) {
		allErrs = append(allErrs, field.Invalid(ipsPath, spec.ClusterIPs, "may specify no more than one IP for each IP family"))
	}
	if !isHeadless(s) {
		for i, ip := range spec.ClusterIPs {
			if i >= len(spec.IPFamilies) {
				break
			}
			switch want := spec.IPFamilies[i]; {
			case want == corev1.IPv4Protocol && netutils.IsIPv6String(ip):
				allErrs = append(allErrs, field.Invalid(ipsPath.Index(i), ip, fmt.Sprintf("expected an IPv4 value as indicated by `ipFamilies[%d]`", i)))
			case want == corev1.IPv6Protocol && !netutils.IsIPv6String(ip):
				allErrs = append(allErrs, field.Invalid(ipsPath.Index(i), ip, fmt.Sprintf("expected an IPv6 value as indicated by `ipFamilies[%d]`", i)))
			}
		}
	}
	return allErrs
}

func validateService(s *corev1.Service) field.ErrorList {
	var allErrs field.ErrorList
	specPath := field.NewPath("spec")
	spec := &s.Spec
	if len(spec.Ports) == 0 && !isHeadless(s) && spec.Type != corev1.ServiceTypeExternalName {
		allErrs = append(allErrs, field.Required(specPath.Child("ports"), ""))
	}
	switch spec.Type {
	case corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort:
		if isHeadless(s) {
			allErrs = append(allErrs, field.Invalid(specPath.Child("clusterIPs").Index(0), corev1.ClusterIPNone,
				fmt.Sprintf("may not be set to 'None' for %s services", spec.Type)))
		}
	case corev1.ServiceTypeExternalName:
		if len(clusterIPs(s)) > 0 {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("clusterIPs"), "may not be set for ExternalName services"))
		}
		if len(spec.IPFamilies) > 0 {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("ipFamilies"), "may not be set for ExternalName services"))
		}
		if spec.IPFamilyPolicy != nil {
			allErrs = append(allErrs, field.Forbidden(specPath.Child("ipFamilyPolicy"), "may not be set for ExternalName services"))
		}
		if cname := strings.TrimSuffix(spec.ExternalName, "."); cname != "" {
			allErrs = append(allErrs, dns1123Subdomain(cname, specPath.Child("externalName"))...)
		} else {
			allErrs = append(allErrs, field.Required(specPath.Child("externalName"), ""))
		}
	}

	portsPath := specPath.Child("ports")
	names := map[string]bool{}
	for i := range spec.Ports {
		allErrs = append(allErrs, servicePort(&spec.Ports[i], len(spec.Ports) > 1, names, portsPath.Index(i))...)
	}
	if spec.Selector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabels(spec.Selector, specPath.Child("selector"))...)
	}
	allErrs = append(allErrs, enum(spec.SessionAffinity, sessionAffinities, specPath.Child("sessionAffinity"))...)
	if spec.SessionAffinity == corev1.ServiceAffinityNone && spec.SessionAffinityConfig != nil {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("sessionAffinityConfig"), "must not be set when session affinity is None"))
	}
	for i, ip := range spec.ExternalIPs {
		allErrs = append(allErrs, endpointIP(ip, specPath.Child("externalIPs").Index(i))...)
	}
	allErrs = append(allErrs, enum(spec.Type, serviceTypes, specPath.Child("type"))...)
	if spec.Type == corev1.ServiceTypeClusterIP {
		for i := range spec.Ports {
			if spec.Ports[i].NodePort != 0 {
				allErrs = append(allErrs, field.Forbidden(portsPath.Index(i).Child("nodePort"), "may not be used when `type` is 'ClusterIP'"))
			}
		}
	}
	type key struct {
		proto corev1.Protocol
		port  int32
	}
	nodePorts, ports := map[key]bool{}, map[key]bool{}
	for i, p := range spec.Ports {
		if p.NodePort != 0 {
			k := key{p.Protocol, p.NodePort}
			if nodePorts[k] {
				allErrs = append(allErrs, field.Duplicate(portsPath.Index(i).Child("nodePort"), p.NodePort))
			}
			nodePorts[k] = true
		}
		k := key{p.Protocol, p.Port}
		if ports[k] {
			allErrs = append(allErrs, field.Duplicate(portsPath.Index(i), corev1.ServicePort{Protocol: p.Protocol, Port: p.Port}))
		}
		ports[k] = true
	}
	if len(spec.LoadBalancerSourceRanges) > 0 && spec.Type != corev1.ServiceTypeLoadBalancer {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("LoadBalancerSourceRanges"), "may only be used when `type` is 'LoadBalancer'"))
	}
	if spec.AllocateLoadBalancerNodePorts != nil && spec.Type != corev1.ServiceTypeLoadBalancer {
		allErrs = append(allErrs, field.Forbidden(specPath.Child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"))
	}
	return allErrs
}

func servicePort(sp *corev1.ServicePort, requireName bool, names map[string]bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if requireName && sp.Name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("name"), ""))
	} else if sp.Name != "" {
		allErrs = append(allErrs, dns1123Label(sp.Name, fldPath.Child("name"))...)
		if names[sp.Name] {
			allErrs = append(allErrs, field.Duplicate(fldPath.Child("name"), sp.Name))
		}
		names[sp.Name] = true
	}
	for _, msg := range utilvalidation.IsValidPortNum(int(sp.Port)) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("port"), sp.Port, msg))
	}
	allErrs = append(allErrs, enum(sp.Protocol, portProtocols, fldPath.Child("protocol"))...)
	allErrs = append(allErrs, portNumOrName(sp.TargetPort, fldPath.Child("targetPort"))...)
	if sp.AppProtocol != nil {
		allErrs = append(allErrs, qualifiedName(*sp.AppProtocol, fldPath.Child("appProtocol"))...)
	}
	return allErrs
}
