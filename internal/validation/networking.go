package validation

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// ingressClassAnnotation is the deprecated way of naming an Ingress's class.
const ingressClassAnnotation = "kubernetes.io/ingress.class"

// maxIngressClassControllerLen bounds spec.controller of an IngressClass.
const maxIngressClassControllerLen = 250

// pathTypes are the supported spec.rules[].http.paths[].pathType values, sorted as
// upstream lists them in NotSupported errors.
var pathTypes = []string{
	string(networkingv1.PathTypeExact),
	string(networkingv1.PathTypeImplementationSpecific),
	string(networkingv1.PathTypePrefix),
}

// ValidateIngress checks an Ingress on create.
func ValidateIngress(obj runtime.Object) field.ErrorList {
	return create(obj, func(ing *networkingv1.Ingress) field.ErrorList {
		allErrs := validateIngress(ing, ingressOptions{})
		val, ok := ing.Annotations[ingressClassAnnotation]
		if ok && ing.Spec.IngressClassName != nil && val != *ing.Spec.IngressClassName {
			// Upstream's path omits "metadata"; kept as is so clients see the same cause.
			allErrs = append(allErrs, field.Invalid(field.NewPath("annotations").Child(ingressClassAnnotation), val,
				"must match `ingressClassName` when both are specified"))
		}
		return allErrs
	})
}

// ValidateIngressUpdate checks an Ingress update; rules the old object already broke
// (invalid TLS secret names, wildcard hosts with bad rules) are tolerated.
func ValidateIngressUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ing, old *networkingv1.Ingress) field.ErrorList {
		allErrs := objectMetaUpdate(&ing.ObjectMeta, &old.ObjectMeta)
		opts := ingressOptions{
			allowInvalidSecretName:       oldHasInvalidSecretName(old),
			allowInvalidWildcardHostRule: oldHasInvalidWildcardRule(old),
		}
		return append(allErrs, validateIngress(ing, opts)...)
	})
}

// ValidateIngressStatusUpdate checks the load balancer addresses.
func ValidateIngressStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ing, old *networkingv1.Ingress) field.ErrorList {
		allErrs := objectMetaUpdate(&ing.ObjectMeta, &old.ObjectMeta)
		var oldIPs []string
		for _, lb := range old.Status.LoadBalancer.Ingress {
			if lb.IP != "" {
				oldIPs = append(oldIPs, lb.IP)
			}
		}
		p := field.NewPath("status", "loadBalancer", "ingress")
		for i, lb := range ing.Status.LoadBalancer.Ingress {
			ip := p.Index(i)
			if lb.IP != "" {
				allErrs = append(allErrs, utilvalidation.IsValidIPForLegacyField(ip.Child("ip"), lb.IP, strictIP, oldIPs)...)
			}
			if lb.Hostname != "" {
				allErrs = append(allErrs, dns1123Subdomain(lb.Hostname, ip.Child("hostname"))...)
				if netutils.ParseIPSloppy(lb.Hostname) != nil {
					allErrs = append(allErrs, field.Invalid(ip.Child("hostname"), lb.Hostname, "must be a DNS name, not an IP address"))
				}
			}
		}
		return allErrs
	})
}

// ingressOptions relax checks for values an existing object already holds.
type ingressOptions struct {
	allowInvalidSecretName       bool
	allowInvalidWildcardHostRule bool
}

func validateIngress(ing *networkingv1.Ingress, opts ingressOptions) field.ErrorList {
	allErrs := objectMeta(&ing.ObjectMeta, true, NameIsDNSSubdomain)
	return append(allErrs, ingressSpec(&ing.Spec, field.NewPath("spec"), opts)...)
}

func ingressSpec(spec *networkingv1.IngressSpec, p *field.Path, opts ingressOptions) field.ErrorList {
	var allErrs field.ErrorList
	if len(spec.Rules) == 0 && spec.DefaultBackend == nil {
		allErrs = append(allErrs, field.Invalid(p, spec.Rules, "either `defaultBackend` or `rules` must be specified"))
	}
	if spec.DefaultBackend != nil {
		allErrs = append(allErrs, ingressBackend(spec.DefaultBackend, p.Child("defaultBackend"))...)
	}
	for i := range spec.Rules {
		allErrs = append(allErrs, ingressRule(&spec.Rules[i], p.Child("rules").Index(i), opts)...)
	}
	for i, tls := range spec.TLS {
		tp := p.Child("tls").Index(i)
		for j, host := range tls.Hosts {
			allErrs = append(allErrs, ingressHost(host, tp.Child("hosts").Index(j))...)
		}
		if !opts.allowInvalidSecretName {
			for _, msg := range tlsSecretName(tls.SecretName) {
				allErrs = append(allErrs, field.Invalid(tp.Child("secretName"), tls.SecretName, msg))
			}
		}
	}
	if spec.IngressClassName != nil {
		for _, msg := range NameIsDNSSubdomain(*spec.IngressClassName, false) {
			allErrs = append(allErrs, field.Invalid(p.Child("ingressClassName"), *spec.IngressClassName, msg))
		}
	}
	return allErrs
}

// ingressHost checks a host name that may start with a "*." wildcard label.
func ingressHost(host string, p *field.Path) field.ErrorList {
	var msgs []string
	if strings.Contains(host, "*") {
		msgs = utilvalidation.IsWildcardDNS1123Subdomain(host)
	} else {
		msgs = utilvalidation.IsDNS1123Subdomain(host)
	}
	var allErrs field.ErrorList
	for _, msg := range msgs {
		allErrs = append(allErrs, field.Invalid(p, host, msg))
	}
	return allErrs
}

func tlsSecretName(name string) []string {
	if name == "" {
		return nil
	}
	return NameIsDNSSubdomain(name, false)
}

func ingressRule(rule *networkingv1.IngressRule, p *field.Path, opts ingressOptions) field.ErrorList {
	var allErrs field.ErrorList
	wildcard := false
	if rule.Host != "" {
		hp := p.Child("host")
		if netutils.ParseIPSloppy(rule.Host) != nil {
			allErrs = append(allErrs, field.Invalid(hp, rule.Host, "must be a DNS name, not an IP address"))
		}
		wildcard = strings.Contains(rule.Host, "*")
		allErrs = append(allErrs, ingressHost(rule.Host, hp)...)
	}
	if wildcard && opts.allowInvalidWildcardHostRule {
		return allErrs
	}
	return append(allErrs, ingressRuleValue(&rule.IngressRuleValue, p)...)
}

func ingressRuleValue(v *networkingv1.IngressRuleValue, p *field.Path) field.ErrorList {
	if v.HTTP == nil {
		return nil
	}
	var allErrs field.ErrorList
	hp := p.Child("http")
	if len(v.HTTP.Paths) == 0 {
		allErrs = append(allErrs, field.Required(hp.Child("paths"), ""))
	}
	for i := range v.HTTP.Paths {
		allErrs = append(allErrs, ingressPath(&v.HTTP.Paths[i], hp.Child("paths").Index(i))...)
	}
	return allErrs
}

func ingressPath(path *networkingv1.HTTPIngressPath, p *field.Path) field.ErrorList {
	if path.PathType == nil {
		return field.ErrorList{field.Required(p.Child("pathType"), "pathType must be specified")}
	}
	var allErrs field.ErrorList
	pp := p.Child("path")
	switch *path.PathType {
	case networkingv1.PathTypeExact, networkingv1.PathTypePrefix:
		if !strings.HasPrefix(path.Path, "/") {
			allErrs = append(allErrs, field.Invalid(pp, path.Path, "must be an absolute path"))
		}
		if path.Path != "" {
			for _, seq := range []string{"//", "/./", "/../", "%2f", "%2F"} {
				if strings.Contains(path.Path, seq) {
					allErrs = append(allErrs, field.Invalid(pp, path.Path, fmt.Sprintf("must not contain '%s'", seq)))
				}
			}
			for _, suffix := range []string{"/..", "/."} {
				if strings.HasSuffix(path.Path, suffix) {
					allErrs = append(allErrs, field.Invalid(pp, path.Path, fmt.Sprintf("cannot end with '%s'", suffix)))
				}
			}
		}
	case networkingv1.PathTypeImplementationSpecific:
		if path.Path != "" && !strings.HasPrefix(path.Path, "/") {
			allErrs = append(allErrs, field.Invalid(pp, path.Path, "must be an absolute path"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("pathType"), *path.PathType, pathTypes))
	}
	return append(allErrs, ingressBackend(&path.Backend, p.Child("backend"))...)
}

// ingressBackend requires exactly one of a service (with a port name or number) and
// a typed resource reference.
func ingressBackend(b *networkingv1.IngressBackend, p *field.Path) field.ErrorList {
	switch {
	case b.Resource != nil && b.Service != nil:
		return field.ErrorList{field.Invalid(p, "", "cannot set both resource and service backends")}
	case b.Resource != nil:
		return typedLocalObjectRef(b.Resource, p.Child("resource"))
	case b.Service == nil:
		return field.ErrorList{field.Invalid(p, "", "resource or service backend is required")}
	}
	var allErrs field.ErrorList
	svc, sp := b.Service, p.Child("service")
	if svc.Name == "" {
		allErrs = append(allErrs, field.Required(sp.Child("name"), ""))
	} else {
		// RelaxedServiceNameValidation is locked on in v1.37: DNS labels, digits first allowed.
		for _, msg := range NameIsDNSLabel(svc.Name, false) {
			allErrs = append(allErrs, field.Invalid(sp.Child("name"), svc.Name, msg))
		}
	}
	switch port := svc.Port; {
	case port.Name != "" && port.Number != 0:
		allErrs = append(allErrs, field.Invalid(p, "", "cannot set both port name & port number"))
	case port.Name != "":
		for _, msg := range utilvalidation.IsValidPortName(port.Name) {
			allErrs = append(allErrs, field.Invalid(sp.Child("port", "name"), port.Name, msg))
		}
	case port.Number != 0:
		for _, msg := range utilvalidation.IsValidPortNum(int(port.Number)) {
			allErrs = append(allErrs, field.Invalid(sp.Child("port", "number"), port.Number, msg))
		}
	default:
		allErrs = append(allErrs, field.Required(p, "port name or number is required"))
	}
	return allErrs
}

func typedLocalObjectRef(ref *corev1.TypedLocalObjectReference, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if ref.APIGroup != nil {
		allErrs = append(allErrs, dns1123Subdomain(*ref.APIGroup, p.Child("apiGroup"))...)
	}
	allErrs = append(allErrs, requiredPathSegment(ref.Kind, p.Child("kind"))...)
	return append(allErrs, requiredPathSegment(ref.Name, p.Child("name"))...)
}

// requiredPathSegment requires a value usable as one segment of a URL path.
func requiredPathSegment(value string, p *field.Path) field.ErrorList {
	if value == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	return pathSegment(value, p)
}

func pathSegment(value string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for _, msg := range content.IsPathSegmentName(value) {
		allErrs = append(allErrs, field.Invalid(p, value, msg))
	}
	return allErrs
}

func oldHasInvalidSecretName(old *networkingv1.Ingress) bool {
	return slices.ContainsFunc(old.Spec.TLS, func(tls networkingv1.IngressTLS) bool {
		return len(tlsSecretName(tls.SecretName)) > 0
	})
}

func oldHasInvalidWildcardRule(old *networkingv1.Ingress) bool {
	return slices.ContainsFunc(old.Spec.Rules, func(r networkingv1.IngressRule) bool {
		return strings.Contains(r.Host, "*") && len(ingressRuleValue(&r.IngressRuleValue, nil)) > 0
	})
}

// ValidateIngressClass checks an IngressClass on create.
func ValidateIngressClass(obj runtime.Object) field.ErrorList {
	return create(obj, validateIngressClass)
}

func validateIngressClass(ic *networkingv1.IngressClass) field.ErrorList {
	allErrs := objectMeta(&ic.ObjectMeta, false, NameIsDNSSubdomain)
	p := field.NewPath("spec")
	if len(ic.Spec.Controller) > maxIngressClassControllerLen {
		allErrs = append(allErrs, field.TooLong(p.Child("controller"), "", maxIngressClassControllerLen))
	}
	allErrs = append(allErrs, utilvalidation.IsDomainPrefixedPath(p.Child("controller"), ic.Spec.Controller)...)
	if params := ic.Spec.Parameters; params != nil {
		allErrs = append(allErrs, ingressClassParameters(params, p.Child("parameters"))...)
	}
	return allErrs
}

func ingressClassParameters(params *networkingv1.IngressClassParametersReference, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if params.APIGroup != nil {
		allErrs = append(allErrs, dns1123Subdomain(*params.APIGroup, p.Child("apiGroup"))...)
	}
	allErrs = append(allErrs, requiredPathSegment(params.Kind, p.Child("kind"))...)
	allErrs = append(allErrs, requiredPathSegment(params.Name, p.Child("name"))...)
	if params.Scope == nil {
		return append(allErrs, field.Required(p.Child("scope"), ""))
	}
	switch *params.Scope {
	case networkingv1.IngressClassParametersReferenceScopeNamespace:
		if params.Namespace == nil {
			allErrs = append(allErrs, field.Required(p.Child("namespace"), "`parameters.scope` is set to 'Namespace'"))
		} else {
			for _, msg := range apivalidation.ValidateNamespaceName(*params.Namespace, false) {
				allErrs = append(allErrs, field.Invalid(p.Child("namespace"), *params.Namespace, msg))
			}
		}
	case networkingv1.IngressClassParametersReferenceScopeCluster:
		if params.Namespace != nil {
			allErrs = append(allErrs, field.Forbidden(p.Child("namespace"), "`parameters.scope` is set to 'Cluster'"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("scope"), *params.Scope, []string{
			networkingv1.IngressClassParametersReferenceScopeCluster, networkingv1.IngressClassParametersReferenceScopeNamespace}))
	}
	return allErrs
}

// ValidateIngressClassUpdate additionally keeps spec.controller fixed.
func ValidateIngressClassUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ic, old *networkingv1.IngressClass) field.ErrorList {
		allErrs := objectMetaUpdate(&ic.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, immutable(ic.Spec.Controller, old.Spec.Controller, field.NewPath("spec", "controller"))...)
		return append(allErrs, validateIngressClass(ic)...)
	})
}

// ValidateNetworkPolicy checks a NetworkPolicy on create.
func ValidateNetworkPolicy(obj runtime.Object) field.ErrorList {
	return create(obj, func(np *networkingv1.NetworkPolicy) field.ErrorList {
		allErrs := objectMeta(&np.ObjectMeta, true, NameIsDNSSubdomain)
		return append(allErrs, networkPolicySpec(&np.Spec, networkPolicyOptions{})...)
	})
}

// ValidateNetworkPolicyUpdate checks an update; invalid selector label values and
// CIDRs the old object already held stay accepted.
func ValidateNetworkPolicyUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(np, old *networkingv1.NetworkPolicy) field.ErrorList {
		opts := networkPolicyOptions{oldCIDRs: networkPolicyCIDRs(old)}
		if len(metav1validation.ValidateLabelSelector(&old.Spec.PodSelector, metav1validation.LabelSelectorValidationOptions{}, nil)) > 0 {
			opts.selector.AllowInvalidLabelValueInSelector = true
		}
		allErrs := objectMetaUpdate(&np.ObjectMeta, &old.ObjectMeta)
		return append(allErrs, networkPolicySpec(&np.Spec, opts)...)
	})
}

type networkPolicyOptions struct {
	selector metav1validation.LabelSelectorValidationOptions
	oldCIDRs []string
}

func networkPolicyCIDRs(np *networkingv1.NetworkPolicy) []string {
	var out []string
	add := func(peers []networkingv1.NetworkPolicyPeer) {
		for _, peer := range peers {
			if peer.IPBlock != nil {
				out = append(out, peer.IPBlock.CIDR)
				out = append(out, peer.IPBlock.Except...)
			}
		}
	}
	for _, rule := range np.Spec.Ingress {
		add(rule.From)
	}
	for _, rule := range np.Spec.Egress {
		add(rule.To)
	}
	return out
}

func networkPolicySpec(spec *networkingv1.NetworkPolicySpec, opts networkPolicyOptions) field.ErrorList {
	p := field.NewPath("spec")
	allErrs := metav1validation.ValidateLabelSelector(&spec.PodSelector, opts.selector, p.Child("podSelector"))
	for i, rule := range spec.Ingress {
		rp := p.Child("ingress").Index(i)
		for j := range rule.Ports {
			allErrs = append(allErrs, networkPolicyPort(&rule.Ports[j], rp.Child("ports").Index(j))...)
		}
		for j := range rule.From {
			allErrs = append(allErrs, networkPolicyPeer(&rule.From[j], opts, rp.Child("from").Index(j))...)
		}
	}
	for i, rule := range spec.Egress {
		rp := p.Child("egress").Index(i)
		for j := range rule.Ports {
			allErrs = append(allErrs, networkPolicyPort(&rule.Ports[j], rp.Child("ports").Index(j))...)
		}
		for j := range rule.To {
			allErrs = append(allErrs, networkPolicyPeer(&rule.To[j], opts, rp.Child("to").Index(j))...)
		}
	}
	allowed := []string{string(networkingv1.PolicyTypeIngress), string(networkingv1.PolicyTypeEgress)}
	if len(spec.PolicyTypes) > len(allowed) {
		return append(allErrs, field.Invalid(p.Child("policyTypes"), &spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	for i, t := range spec.PolicyTypes {
		if !slices.Contains(allowed, string(t)) {
			allErrs = append(allErrs, field.NotSupported(p.Child("policyTypes").Index(i), t, allowed))
		}
	}
	return allErrs
}

func networkPolicyPort(port *networkingv1.NetworkPolicyPort, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if port.Protocol != nil {
		switch *port.Protocol {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			allErrs = append(allErrs, field.NotSupported(p.Child("protocol"), *port.Protocol, []string{
				string(corev1.ProtocolTCP), string(corev1.ProtocolUDP), string(corev1.ProtocolSCTP)}))
		}
	}
	endPort := p.Child("endPort")
	switch {
	case port.Port == nil:
		if port.EndPort != nil {
			allErrs = append(allErrs, field.Invalid(endPort, *port.EndPort, "may not be specified when `port` is not specified"))
		}
	case port.Port.Type == intstr.Int:
		for _, msg := range utilvalidation.IsValidPortNum(int(port.Port.IntVal)) {
			allErrs = append(allErrs, field.Invalid(p.Child("port"), port.Port.IntVal, msg))
		}
		if port.EndPort != nil {
			if *port.EndPort < port.Port.IntVal {
				allErrs = append(allErrs, field.Invalid(endPort, *port.EndPort, "must be greater than or equal to `port`"))
			}
			for _, msg := range utilvalidation.IsValidPortNum(int(*port.EndPort)) {
				allErrs = append(allErrs, field.Invalid(endPort, *port.EndPort, msg))
			}
		}
	default:
		if port.EndPort != nil {
			allErrs = append(allErrs, field.Invalid(endPort, *port.EndPort, "may not be specified when `port` is non-numeric"))
		}
		for _, msg := range utilvalidation.IsValidPortName(port.Port.StrVal) {
			allErrs = append(allErrs, field.Invalid(p.Child("port"), port.Port.StrVal, msg))
		}
	}
	return allErrs
}

func networkPolicyPeer(peer *networkingv1.NetworkPolicyPeer, opts networkPolicyOptions, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	n := 0
	if peer.PodSelector != nil {
		n++
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(peer.PodSelector, opts.selector, p.Child("podSelector"))...)
	}
	if peer.NamespaceSelector != nil {
		n++
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(peer.NamespaceSelector, opts.selector, p.Child("namespaceSelector"))...)
	}
	if peer.IPBlock != nil {
		n++
		allErrs = append(allErrs, ipBlock(peer.IPBlock, opts.oldCIDRs, p.Child("ipBlock"))...)
	}
	switch {
	case n == 0:
		allErrs = append(allErrs, field.Required(p, "must specify a peer"))
	case n > 1 && peer.IPBlock != nil:
		allErrs = append(allErrs, field.Forbidden(p, "may not specify both ipBlock and another peer"))
	}
	return allErrs
}

// ipBlock checks the CIDR and that every exception is a strict subset of it.
func ipBlock(b *networkingv1.IPBlock, oldCIDRs []string, p *field.Path) field.ErrorList {
	if b.CIDR == "" {
		return field.ErrorList{field.Required(p.Child("cidr"), "")}
	}
	allErrs := utilvalidation.IsValidCIDRForLegacyField(p.Child("cidr"), b.CIDR, strictIP, oldCIDRs)
	_, outer, err := netutils.ParseCIDRSloppy(b.CIDR)
	if err != nil {
		return allErrs
	}
	outerBits, _ := outer.Mask.Size()
	for i, except := range b.Except {
		ep := p.Child("except").Index(i)
		allErrs = append(allErrs, utilvalidation.IsValidCIDRForLegacyField(ep, except, strictIP, oldCIDRs)...)
		_, inner, err := netutils.ParseCIDRSloppy(except)
		if err != nil {
			continue
		}
		innerBits, _ := inner.Mask.Size()
		if !outer.Contains(inner.IP) || outerBits >= innerBits {
			allErrs = append(allErrs, field.Invalid(ep, except, "must be a strict subset of `cidr`"))
		}
	}
	return allErrs
}

// ValidateIPAddressName requires the name of an IPAddress to be an IP in canonical
// form.
func ValidateIPAddressName(name string, _ bool) []string {
	var msgs []string
	for _, err := range utilvalidation.IsValidIP(&field.Path{}, name) {
		msgs = append(msgs, err.Detail)
	}
	return msgs
}

// ValidateIPAddress checks an IPAddress on create.
func ValidateIPAddress(obj runtime.Object) field.ErrorList {
	return create(obj, validateIPAddress)
}

func validateIPAddress(ip *networkingv1.IPAddress) field.ErrorList {
	allErrs := objectMeta(&ip.ObjectMeta, false, ValidateIPAddressName)
	p := field.NewPath("spec", "parentRef")
	ref := ip.Spec.ParentRef
	if ref == nil {
		return append(allErrs, field.Required(p, ""))
	}
	if ref.Group != "" {
		allErrs = append(allErrs, dns1123Subdomain(ref.Group, p.Child("group"))...)
	}
	allErrs = append(allErrs, requiredPathSegment(ref.Resource, p.Child("resource"))...)
	allErrs = append(allErrs, requiredPathSegment(ref.Name, p.Child("name"))...)
	if ref.Namespace != "" {
		allErrs = append(allErrs, pathSegment(ref.Namespace, p.Child("namespace"))...)
	}
	return allErrs
}

// ValidateIPAddressUpdate additionally keeps spec.parentRef fixed.
func ValidateIPAddressUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(ip, old *networkingv1.IPAddress) field.ErrorList {
		allErrs := validateIPAddress(ip)
		allErrs = append(allErrs, objectMetaUpdate(&ip.ObjectMeta, &old.ObjectMeta)...)
		return append(allErrs, immutable(ip.Spec.ParentRef, old.Spec.ParentRef, field.NewPath("spec", "parentRef"))...)
	})
}

// ValidateServiceCIDR checks a ServiceCIDR on create.
func ValidateServiceCIDR(obj runtime.Object) field.ErrorList {
	return create(obj, func(sc *networkingv1.ServiceCIDR) field.ErrorList {
		allErrs := objectMeta(&sc.ObjectMeta, false, NameIsDNSSubdomain)
		return append(allErrs, serviceCIDRSpec(&sc.Spec)...)
	})
}

// serviceCIDRSpec allows one or two CIDRs, of different families when two.
func serviceCIDRSpec(spec *networkingv1.ServiceCIDRSpec) field.ErrorList {
	p := field.NewPath("spec", "cidrs")
	switch n := len(spec.CIDRs); {
	case n == 0:
		return field.ErrorList{field.Required(p, "at least one CIDR required")}
	case n > 2:
		return field.ErrorList{field.Invalid(p, spec, "may only hold up to 2 values")}
	}
	var allErrs field.ErrorList
	for i, cidr := range spec.CIDRs {
		allErrs = append(allErrs, utilvalidation.IsValidCIDR(p.Index(i), cidr)...)
	}
	if len(spec.CIDRs) == 2 {
		a, b := netutils.IPFamilyOfCIDRString(spec.CIDRs[0]), netutils.IPFamilyOfCIDRString(spec.CIDRs[1])
		if a != netutils.IPFamilyUnknown && a == b {
			allErrs = append(allErrs, field.Invalid(p, spec.CIDRs, "may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64"))
		}
	}
	return allErrs
}

// ValidateServiceCIDRUpdate keeps the CIDRs fixed, except that a single-stack
// ServiceCIDR may gain a second CIDR of the other family.
func ValidateServiceCIDRUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(sc, old *networkingv1.ServiceCIDR) field.ErrorList {
		allErrs := objectMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta)
		p := field.NewPath("spec", "cidrs")
		now, was := sc.Spec.CIDRs, old.Spec.CIDRs
		switch {
		case len(now) == len(was):
			for i := range was {
				if now[i] != was[i] {
					allErrs = append(allErrs, field.Invalid(p.Index(i), now[i], immutableMsg))
				}
			}
		case len(was) == 1 && len(now) == 2:
			if now[0] != was[0] {
				allErrs = append(allErrs, field.Invalid(p.Index(0), now[0], immutableMsg))
			}
			allErrs = append(allErrs, serviceCIDRSpec(&sc.Spec)...)
		default:
			allErrs = append(allErrs, field.Invalid(p, now, immutableMsg))
		}
		return allErrs
	})
}

// ValidateServiceCIDRStatusUpdate checks only the metadata, as upstream.
func ValidateServiceCIDRStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(sc, old *networkingv1.ServiceCIDR) field.ErrorList {
		return objectMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta)
	})
}
