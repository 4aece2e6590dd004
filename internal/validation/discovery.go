package validation

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// Limits of an EndpointSlice, as upstream.
const (
	maxSliceEndpoints    = 1000
	maxSlicePorts        = 20000
	maxEndpointAddresses = 100
	maxTopologyLabels    = 16
	maxEndpointZoneHints = 8
	maxEndpointNodeHints = 8
)

var (
	addressTypes = []discoveryv1.AddressType{
		discoveryv1.AddressTypeFQDN, discoveryv1.AddressTypeIPv4, discoveryv1.AddressTypeIPv6,
	}
	sliceProtocols = []corev1.Protocol{corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP}
)

// ValidateEndpointSlice checks an EndpointSlice on create.
func ValidateEndpointSlice(obj runtime.Object) field.ErrorList {
	return create(obj, func(eps *discoveryv1.EndpointSlice) field.ErrorList {
		return validateEndpointSlice(eps, nil)
	})
}

// ValidateEndpointSliceUpdate additionally keeps addressType fixed; endpoints that
// did not change are not checked again.
func ValidateEndpointSliceUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(eps, old *discoveryv1.EndpointSlice) field.ErrorList {
		allErrs := objectMetaUpdate(&eps.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, validateEndpointSlice(eps, old)...)
		return append(allErrs, immutable(eps.AddressType, old.AddressType, field.NewPath("addressType"))...)
	})
}

func validateEndpointSlice(eps, old *discoveryv1.EndpointSlice) field.ErrorList {
	allErrs := objectMeta(&eps.ObjectMeta, true, NameIsDNSSubdomain)
	allErrs = append(allErrs, enum(eps.AddressType, addressTypes, field.NewPath("addressType"))...)
	allErrs = append(allErrs, slicePorts(eps.Ports, field.NewPath("ports"))...)
	epErrs := sliceEndpoints(eps.Endpoints, eps.AddressType, field.NewPath("endpoints"))
	if len(epErrs) > 0 && old != nil && apiequality.Semantic.DeepEqual(old.Endpoints, eps.Endpoints) {
		epErrs = nil
	}
	return append(allErrs, epErrs...)
}

func sliceEndpoints(endpoints []discoveryv1.Endpoint, addrType discoveryv1.AddressType, p *field.Path) field.ErrorList {
	if len(endpoints) > maxSliceEndpoints {
		return field.ErrorList{field.TooMany(p, len(endpoints), maxSliceEndpoints)}
	}
	var allErrs field.ErrorList
	for i := range endpoints {
		ep, ip := &endpoints[i], p.Index(i)
		ap := ip.Child("addresses")
		switch n := len(ep.Addresses); {
		case n == 0:
			allErrs = append(allErrs, field.Required(ap, "must contain at least 1 address"))
		case n > maxEndpointAddresses:
			allErrs = append(allErrs, field.TooMany(ap, n, maxEndpointAddresses))
		}
		for j, addr := range ep.Addresses {
			allErrs = append(allErrs, sliceAddress(addr, addrType, ap, j)...)
		}
		if ep.NodeName != nil {
			for _, msg := range NameIsDNSSubdomain(*ep.NodeName, false) {
				allErrs = append(allErrs, field.Invalid(ip.Child("nodeName"), *ep.NodeName, msg))
			}
		}
		tp := ip.Child("deprecatedTopology")
		if len(ep.DeprecatedTopology) > maxTopologyLabels {
			allErrs = append(allErrs, field.TooMany(tp, len(ep.DeprecatedTopology), maxTopologyLabels))
		}
		allErrs = append(allErrs, metav1validation.ValidateLabels(ep.DeprecatedTopology, tp)...)
		if ep.Hostname != nil {
			allErrs = append(allErrs, dns1123Label(*ep.Hostname, ip.Child("hostname"))...)
		}
		if ep.Hints != nil {
			allErrs = append(allErrs, endpointHints(ep.Hints, ip.Child("hints"))...)
		}
	}
	return allErrs
}

// sliceAddress checks one address against the slice's address type. Upstream reports
// a wrong family on the addresses list itself, not on the entry.
func sliceAddress(addr string, addrType discoveryv1.AddressType, list *field.Path, i int) field.ErrorList {
	p := list.Index(i)
	switch addrType {
	case discoveryv1.AddressTypeIPv4:
		if errs := utilvalidation.IsValidIPForLegacyField(p, addr, strictIP, nil); len(errs) > 0 {
			return errs
		}
		var allErrs field.ErrorList
		if !netutils.IsIPv4String(addr) {
			allErrs = append(allErrs, field.Invalid(list, addr, "must be an IPv4 address"))
		}
		return append(allErrs, endpointIP(addr, p)...)
	case discoveryv1.AddressTypeIPv6:
		if errs := utilvalidation.IsValidIP(p, addr); len(errs) > 0 {
			return errs
		}
		var allErrs field.ErrorList
		if !netutils.IsIPv6String(addr) {
			allErrs = append(allErrs, field.Invalid(list, addr, "must be an IPv6 address"))
		}
		return append(allErrs, endpointIP(addr, p)...)
	case discoveryv1.AddressTypeFQDN:
		return utilvalidation.IsFullyQualifiedDomainName(p, addr)
	}
	return nil
}

func slicePorts(ports []discoveryv1.EndpointPort, p *field.Path) field.ErrorList {
	if len(ports) > maxSlicePorts {
		return field.ErrorList{field.TooMany(p, len(ports), maxSlicePorts)}
	}
	var allErrs field.ErrorList
	names := make([]string, 0, len(ports))
	for i, port := range ports {
		ip := p.Index(i)
		name := ""
		if port.Name != nil {
			name = *port.Name
		}
		if name != "" {
			allErrs = append(allErrs, dns1123Label(name, ip.Child("name"))...)
		}
		if slices.Contains(names, name) {
			allErrs = append(allErrs, field.Duplicate(ip.Child("name"), port.Name))
		} else {
			names = append(names, name)
		}
		switch {
		case port.Protocol == nil:
			allErrs = append(allErrs, field.Required(ip.Child("protocol"), ""))
		case !slices.Contains(sliceProtocols, *port.Protocol):
			allErrs = append(allErrs, field.NotSupported(ip.Child("protocol"), *port.Protocol, sliceProtocols))
		}
		if port.AppProtocol != nil {
			allErrs = append(allErrs, qualifiedName(*port.AppProtocol, ip.Child("appProtocol"))...)
		}
	}
	return allErrs
}

func endpointHints(h *discoveryv1.EndpointHints, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	zp := p.Child("forZones")
	if len(h.ForZones) > maxEndpointZoneHints {
		return field.ErrorList{field.TooMany(zp, len(h.ForZones), maxEndpointZoneHints)}
	}
	var zones []string
	for i, z := range h.ForZones {
		np := zp.Index(i).Child("name")
		if slices.Contains(zones, z.Name) {
			allErrs = append(allErrs, field.Duplicate(np, z.Name))
		} else {
			zones = append(zones, z.Name)
		}
		for _, msg := range utilvalidation.IsValidLabelValue(z.Name) {
			allErrs = append(allErrs, field.Invalid(np, z.Name, msg))
		}
	}
	fp := p.Child("forNodes")
	if len(h.ForNodes) > maxEndpointNodeHints {
		return append(allErrs, field.TooMany(fp, len(h.ForNodes), maxEndpointNodeHints))
	}
	var nodes []string
	for i, n := range h.ForNodes {
		np := fp.Index(i).Child("name")
		if slices.Contains(nodes, n.Name) {
			allErrs = append(allErrs, field.Duplicate(np, n.Name))
		} else {
			nodes = append(nodes, n.Name)
		}
		for _, msg := range NameIsDNSSubdomain(n.Name, false) {
			allErrs = append(allErrs, field.Invalid(np, n.Name, msg))
		}
	}
	return allErrs
}
