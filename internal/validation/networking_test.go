package validation

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// netCase is one validation call: the causes it must give as "<type> <field>" and,
// when set, a substring of the first cause's message.
type netCase struct {
	name   string
	errs   field.ErrorList
	want   []string
	detail string
}

func runNetCases(t *testing.T, cases []netCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := []string{}
			for _, e := range tc.errs {
				got = append(got, string(e.Type)+" "+e.Field)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("causes\n got %q\nwant %q\n%v", got, tc.want, tc.errs)
			}
			if tc.detail != "" && !strings.Contains(tc.errs[0].Error(), tc.detail) {
				t.Errorf("first cause %q does not say %q", tc.errs[0].Error(), tc.detail)
			}
		})
	}
}

func validIngress(mut func(*networkingv1.Ingress)) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: networkingv1.IngressSpec{
			Rules: []networkingv1.IngressRule{{Host: "example.com", IngressRuleValue: networkingv1.IngressRuleValue{
				HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
					Path: "/", PathType: &prefix,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
						Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
				}}},
			}}},
		},
	}
	if mut != nil {
		mut(ing)
	}
	return ing
}

func firstPath(ing *networkingv1.Ingress) *networkingv1.HTTPIngressPath {
	return &ing.Spec.Rules[0].HTTP.Paths[0]
}

func TestValidateIngress(t *testing.T) {
	exact, bogus := networkingv1.PathTypeExact, networkingv1.PathType("Regex")
	runNetCases(t, []netCase{
		{name: "valid", errs: ValidateIngress(validIngress(nil)), want: []string{}},
		{name: "no rules nor default backend", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) { i.Spec.Rules = nil })),
			want: []string{"FieldValueInvalid spec"}, detail: "either `defaultBackend` or `rules` must be specified"},
		{name: "pathType required", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) { firstPath(i).PathType = nil })),
			want: []string{"FieldValueRequired spec.rules[0].http.paths[0].pathType"}, detail: "pathType must be specified"},
		{name: "unknown pathType", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) { firstPath(i).PathType = &bogus })),
			want: []string{"FieldValueNotSupported spec.rules[0].http.paths[0].pathType"}, detail: `"Exact", "ImplementationSpecific", "Prefix"`},
		{name: "exact path must be absolute and clean", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) {
			firstPath(i).PathType, firstPath(i).Path = &exact, "a//b/.."
		})), want: []string{"FieldValueInvalid spec.rules[0].http.paths[0].path", "FieldValueInvalid spec.rules[0].http.paths[0].path",
			"FieldValueInvalid spec.rules[0].http.paths[0].path"}, detail: "must be an absolute path"},
		{name: "backend service and resource", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) {
			firstPath(i).Backend.Resource = &corev1.TypedLocalObjectReference{Kind: "Bucket", Name: "b"}
		})), want: []string{"FieldValueInvalid spec.rules[0].http.paths[0].backend"}, detail: "cannot set both resource and service backends"},
		{name: "backend missing", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) {
			firstPath(i).Backend = networkingv1.IngressBackend{}
		})), want: []string{"FieldValueInvalid spec.rules[0].http.paths[0].backend"}, detail: "resource or service backend is required"},
		{name: "service port missing", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) {
			firstPath(i).Backend.Service.Port = networkingv1.ServiceBackendPort{}
		})), want: []string{"FieldValueRequired spec.rules[0].http.paths[0].backend"}, detail: "port name or number is required"},
		{name: "service name may start with a digit", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) {
			firstPath(i).Backend.Service.Name = "1web"
		})), want: []string{}},
		{name: "resource backend needs kind", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) {
			firstPath(i).Backend = networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Name: "b"}}
		})), want: []string{"FieldValueRequired spec.rules[0].http.paths[0].backend.resource.kind"}},
		{name: "host is an IP", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "1.2.3.4" })),
			want: []string{"FieldValueInvalid spec.rules[0].host"}, detail: "must be a DNS name, not an IP address"},
		{name: "wildcard host", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "*.example.com" })),
			want: []string{}},
		{name: "bad wildcard host", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) { i.Spec.Rules[0].Host = "a.*.com" })),
			want: []string{"FieldValueInvalid spec.rules[0].host"}},
		{name: "tls hosts and secret", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) {
			i.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"*.example.com", "Bad_Host"}, SecretName: "Bad_Secret"}}
		})), want: []string{"FieldValueInvalid spec.tls[0].hosts[1]", "FieldValueInvalid spec.tls[0].secretName"}},
		{name: "class annotation disagrees", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) {
			i.Annotations = map[string]string{"kubernetes.io/ingress.class": "a"}
			i.Spec.IngressClassName = ptr("b")
		})), want: []string{"FieldValueInvalid annotations.kubernetes.io/ingress.class"}},
		{name: "http without paths", errs: ValidateIngress(validIngress(func(i *networkingv1.Ingress) {
			i.Spec.Rules[0].HTTP.Paths = nil
		})), want: []string{"FieldValueRequired spec.rules[0].http.paths"}},
		{name: "update keeps an invalid secret name", errs: ValidateIngressUpdate(
			validIngress(func(i *networkingv1.Ingress) {
				i.ResourceVersion = "1"
				i.Spec.TLS = []networkingv1.IngressTLS{{SecretName: "Bad_Secret"}}
			}),
			validIngress(func(i *networkingv1.Ingress) {
				i.ResourceVersion = "1"
				i.Spec.TLS = []networkingv1.IngressTLS{{SecretName: "Bad_Secret"}}
			})), want: []string{}},
		{name: "status load balancer", errs: ValidateIngressStatusUpdate(
			validIngress(func(i *networkingv1.Ingress) {
				i.ResourceVersion = "1"
				i.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "300.1.1.1"}, {Hostname: "10.0.0.1"}}
			}), validIngress(func(i *networkingv1.Ingress) { i.ResourceVersion = "1" })),
			want: []string{"FieldValueInvalid status.loadBalancer.ingress[0].ip", "FieldValueInvalid status.loadBalancer.ingress[1].hostname"}},
	})
}

func TestValidateIngressClass(t *testing.T) {
	ic := func(mut func(*networkingv1.IngressClass)) *networkingv1.IngressClass {
		c := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx", ResourceVersion: "1"},
			Spec: networkingv1.IngressClassSpec{Controller: "example.com/ingress"}}
		if mut != nil {
			mut(c)
		}
		return c
	}
	cluster, ns := networkingv1.IngressClassParametersReferenceScopeCluster, networkingv1.IngressClassParametersReferenceScopeNamespace
	runNetCases(t, []netCase{
		{name: "valid", errs: ValidateIngressClass(ic(nil)), want: []string{}},
		{name: "controller not domain prefixed", errs: ValidateIngressClass(ic(func(c *networkingv1.IngressClass) { c.Spec.Controller = "nginx" })),
			want: []string{"FieldValueInvalid spec.controller"}},
		{name: "namespace scope needs namespace", errs: ValidateIngressClass(ic(func(c *networkingv1.IngressClass) {
			c.Spec.Parameters = &networkingv1.IngressClassParametersReference{Kind: "K", Name: "n", Scope: &ns}
		})), want: []string{"FieldValueRequired spec.parameters.namespace"}},
		{name: "cluster scope forbids namespace", errs: ValidateIngressClass(ic(func(c *networkingv1.IngressClass) {
			c.Spec.Parameters = &networkingv1.IngressClassParametersReference{Kind: "K", Name: "n", Scope: &cluster, Namespace: ptr("x")}
		})), want: []string{"FieldValueForbidden spec.parameters.namespace"}},
		{name: "parameters need kind, name and scope", errs: ValidateIngressClass(ic(func(c *networkingv1.IngressClass) {
			c.Spec.Parameters = &networkingv1.IngressClassParametersReference{}
		})), want: []string{"FieldValueRequired spec.parameters.kind", "FieldValueRequired spec.parameters.name", "FieldValueRequired spec.parameters.scope"}},
		{name: "controller is immutable", errs: ValidateIngressClassUpdate(ic(func(c *networkingv1.IngressClass) { c.Spec.Controller = "example.com/other" }), ic(nil)),
			want: []string{"FieldValueInvalid spec.controller"}, detail: "field is immutable"},
	})
}

func TestValidateNetworkPolicy(t *testing.T) {
	np := func(mut func(*networkingv1.NetworkPolicy)) *networkingv1.NetworkPolicy {
		p := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny", Namespace: "default", ResourceVersion: "1"},
			Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}
		if mut != nil {
			mut(p)
		}
		return p
	}
	port := intstr.FromInt32(80)
	named := intstr.FromString("http")
	sctp := corev1.Protocol("ICMP")
	runNetCases(t, []netCase{
		{name: "valid deny all", errs: ValidateNetworkPolicy(np(nil)), want: []string{}},
		{name: "peer required", errs: ValidateNetworkPolicy(np(func(p *networkingv1.NetworkPolicy) {
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{}}}}
		})), want: []string{"FieldValueRequired spec.ingress[0].from[0]"}, detail: "must specify a peer"},
		{name: "ipBlock with selector", errs: ValidateNetworkPolicy(np(func(p *networkingv1.NetworkPolicy) {
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				PodSelector: &metav1.LabelSelector{}, IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}}}}}
		})), want: []string{"FieldValueForbidden spec.ingress[0].from[0]"}},
		{name: "except outside cidr", errs: ValidateNetworkPolicy(np(func(p *networkingv1.NetworkPolicy) {
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{
				IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"192.168.0.0/16", "10.0.0.0/8"}}}}}}
		})), want: []string{"FieldValueInvalid spec.egress[0].to[0].ipBlock.except[0]", "FieldValueInvalid spec.egress[0].to[0].ipBlock.except[1]"},
			detail: "must be a strict subset of `cidr`"},
		{name: "bad cidr", errs: ValidateNetworkPolicy(np(func(p *networkingv1.NetworkPolicy) {
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.1"}}}}}
		})), want: []string{"FieldValueInvalid spec.egress[0].to[0].ipBlock.cidr"}},
		{name: "ports", errs: ValidateNetworkPolicy(np(func(p *networkingv1.NetworkPolicy) {
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{
				{Port: &port, EndPort: ptr(int32(70))},
				{Port: &named, EndPort: ptr(int32(90))},
				{Protocol: &sctp},
				{EndPort: ptr(int32(90))},
			}}}
		})), want: []string{"FieldValueInvalid spec.ingress[0].ports[0].endPort", "FieldValueInvalid spec.ingress[0].ports[1].endPort",
			"FieldValueNotSupported spec.ingress[0].ports[2].protocol", "FieldValueInvalid spec.ingress[0].ports[3].endPort"}},
		{name: "unknown policy type", errs: ValidateNetworkPolicy(np(func(p *networkingv1.NetworkPolicy) {
			p.Spec.PolicyTypes = []networkingv1.PolicyType{"Sideways"}
		})), want: []string{"FieldValueNotSupported spec.policyTypes[0]"}},
		{name: "too many policy types", errs: ValidateNetworkPolicy(np(func(p *networkingv1.NetworkPolicy) {
			p.Spec.PolicyTypes = []networkingv1.PolicyType{"Ingress", "Egress", "Ingress"}
		})), want: []string{"FieldValueInvalid spec.policyTypes"}},
		{name: "update keeps an old non-canonical cidr", errs: ValidateNetworkPolicyUpdate(
			np(func(p *networkingv1.NetworkPolicy) {
				p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "010.0.0.0/8"}}}}}
			}),
			np(func(p *networkingv1.NetworkPolicy) {
				p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "010.0.0.0/8"}}}}}
			})), want: []string{}},
	})
}

func TestValidateIPAddressAndServiceCIDR(t *testing.T) {
	ip := func(name string, ref *networkingv1.ParentReference) *networkingv1.IPAddress {
		return &networkingv1.IPAddress{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: "1"}, Spec: networkingv1.IPAddressSpec{ParentRef: ref}}
	}
	svc := &networkingv1.ParentReference{Resource: "services", Namespace: "default", Name: "web"}
	cidr := func(cidrs ...string) *networkingv1.ServiceCIDR {
		return &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "extra", ResourceVersion: "1"}, Spec: networkingv1.ServiceCIDRSpec{CIDRs: cidrs}}
	}
	runNetCases(t, []netCase{
		{name: "ip valid", errs: ValidateIPAddress(ip("10.0.0.10", svc)), want: []string{}},
		{name: "ip valid v6", errs: ValidateIPAddress(ip("2001:db8::1", svc)), want: []string{}},
		{name: "ip name not an ip", errs: ValidateIPAddress(ip("web", svc)), want: []string{"FieldValueInvalid metadata.name"}},
		{name: "ip name not canonical", errs: ValidateIPAddress(ip("2001:DB8::1", svc)), want: []string{"FieldValueInvalid metadata.name"},
			detail: `must be in canonical form ("2001:db8::1")`},
		{name: "ip parentRef required", errs: ValidateIPAddress(ip("10.0.0.10", nil)), want: []string{"FieldValueRequired spec.parentRef"}},
		{name: "ip parentRef fields", errs: ValidateIPAddress(ip("10.0.0.10", &networkingv1.ParentReference{Group: "Bad_Group"})),
			want: []string{"FieldValueInvalid spec.parentRef.group", "FieldValueRequired spec.parentRef.resource", "FieldValueRequired spec.parentRef.name"}},
		{name: "ip parentRef immutable", errs: ValidateIPAddressUpdate(ip("10.0.0.10", &networkingv1.ParentReference{Resource: "services", Name: "other"}), ip("10.0.0.10", svc)),
			want: []string{"FieldValueInvalid spec.parentRef"}, detail: "field is immutable"},
		{name: "cidr valid dual stack", errs: ValidateServiceCIDR(cidr("10.96.0.0/16", "fd00::/108")), want: []string{}},
		{name: "cidr required", errs: ValidateServiceCIDR(cidr()), want: []string{"FieldValueRequired spec.cidrs"}},
		{name: "cidr too many", errs: ValidateServiceCIDR(cidr("10.0.0.0/8", "fd00::/108", "11.0.0.0/8")), want: []string{"FieldValueInvalid spec.cidrs"}},
		{name: "cidr same family", errs: ValidateServiceCIDR(cidr("10.0.0.0/8", "11.0.0.0/8")), want: []string{"FieldValueInvalid spec.cidrs"},
			detail: "may specify no more than one IP for each IP family"},
		{name: "cidr not canonical", errs: ValidateServiceCIDR(cidr("10.0.0.1/8")), want: []string{"FieldValueInvalid spec.cidrs[0]"}},
		{name: "cidr changed", errs: ValidateServiceCIDRUpdate(cidr("10.1.0.0/16"), cidr("10.0.0.0/16")), want: []string{"FieldValueInvalid spec.cidrs[0]"}},
		{name: "cidr may go dual stack", errs: ValidateServiceCIDRUpdate(cidr("10.0.0.0/16", "fd00::/108"), cidr("10.0.0.0/16")), want: []string{}},
		{name: "cidr may not shrink", errs: ValidateServiceCIDRUpdate(cidr("10.0.0.0/16"), cidr("10.0.0.0/16", "fd00::/108")), want: []string{"FieldValueInvalid spec.cidrs"}},
	})
}

func TestValidateEndpointSlice(t *testing.T) {
	eps := func(addrType discoveryv1.AddressType, mut func(*discoveryv1.EndpointSlice)) *discoveryv1.EndpointSlice {
		s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "web-abc", Namespace: "default", ResourceVersion: "1"},
			AddressType: addrType,
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.1.2.3"}}},
			Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Protocol: ptr(corev1.ProtocolTCP), Port: ptr(int32(80))}}}
		if mut != nil {
			mut(s)
		}
		return s
	}
	many := func(n int) []discoveryv1.Endpoint {
		out := make([]discoveryv1.Endpoint, n)
		for i := range out {
			out[i].Addresses = []string{"10.1.2.3"}
		}
		return out
	}
	runNetCases(t, []netCase{
		{name: "valid", errs: ValidateEndpointSlice(eps(discoveryv1.AddressTypeIPv4, nil)), want: []string{}},
		{name: "addressType required", errs: ValidateEndpointSlice(eps("", nil)), want: []string{"FieldValueRequired addressType"}},
		{name: "addressType unknown", errs: ValidateEndpointSlice(eps("IPv5", nil)), want: []string{"FieldValueNotSupported addressType"}},
		{name: "wrong family", errs: ValidateEndpointSlice(eps(discoveryv1.AddressTypeIPv6, nil)),
			want: []string{"FieldValueInvalid endpoints[0].addresses"}, detail: "must be an IPv6 address"},
		{name: "loopback", errs: ValidateEndpointSlice(eps(discoveryv1.AddressTypeIPv4, func(s *discoveryv1.EndpointSlice) {
			s.Endpoints[0].Addresses = []string{"127.0.0.1"}
		})), want: []string{"FieldValueInvalid endpoints[0].addresses[0]"}, detail: "loopback"},
		{name: "no addresses", errs: ValidateEndpointSlice(eps(discoveryv1.AddressTypeIPv4, func(s *discoveryv1.EndpointSlice) {
			s.Endpoints[0].Addresses = nil
		})), want: []string{"FieldValueRequired endpoints[0].addresses"}},
		{name: "fqdn", errs: ValidateEndpointSlice(eps(discoveryv1.AddressTypeFQDN, func(s *discoveryv1.EndpointSlice) {
			s.Endpoints[0].Addresses = []string{"db.example.com", "not_a_name"}
		})), want: []string{"FieldValueInvalid endpoints[0].addresses[1]"}},
		{name: "too many endpoints", errs: ValidateEndpointSlice(eps(discoveryv1.AddressTypeIPv4, func(s *discoveryv1.EndpointSlice) {
			s.Endpoints = many(1001)
		})), want: []string{"FieldValueTooMany endpoints"}},
		{name: "ports", errs: ValidateEndpointSlice(eps(discoveryv1.AddressTypeIPv4, func(s *discoveryv1.EndpointSlice) {
			s.Ports = append(s.Ports,
				discoveryv1.EndpointPort{Name: ptr("http"), Protocol: ptr(corev1.ProtocolTCP)},
				discoveryv1.EndpointPort{Name: ptr("Bad_Name"), Protocol: ptr(corev1.Protocol("ICMP")), AppProtocol: ptr("a b")})
		})), want: []string{"FieldValueDuplicate ports[1].name", "FieldValueInvalid ports[2].name", "FieldValueNotSupported ports[2].protocol",
			"FieldValueInvalid ports[2].appProtocol"}},
		{name: "hostname and node name", errs: ValidateEndpointSlice(eps(discoveryv1.AddressTypeIPv4, func(s *discoveryv1.EndpointSlice) {
			s.Endpoints[0].Hostname, s.Endpoints[0].NodeName = ptr("a.b"), ptr("Node_1")
		})), want: []string{"FieldValueInvalid endpoints[0].nodeName", "FieldValueInvalid endpoints[0].hostname"}},
		{name: "addressType immutable", errs: ValidateEndpointSliceUpdate(eps(discoveryv1.AddressTypeFQDN, func(s *discoveryv1.EndpointSlice) {
			s.Endpoints[0].Addresses = []string{"db.example.com"}
		}), eps(discoveryv1.AddressTypeIPv4, nil)), want: []string{"FieldValueInvalid addressType"}, detail: "field is immutable"},
		{name: "unchanged invalid endpoints pass on update", errs: ValidateEndpointSliceUpdate(
			eps(discoveryv1.AddressTypeIPv4, func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = []string{"127.0.0.1"} }),
			eps(discoveryv1.AddressTypeIPv4, func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = []string{"127.0.0.1"} })),
			want: []string{}},
	})
}

func TestValidateRuntimeClass(t *testing.T) {
	rc := func(mut func(*nodev1.RuntimeClass)) *nodev1.RuntimeClass {
		c := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "gvisor", ResourceVersion: "1"}, Handler: "runsc"}
		if mut != nil {
			mut(c)
		}
		return c
	}
	runNetCases(t, []netCase{
		{name: "valid", errs: ValidateRuntimeClass(rc(nil)), want: []string{}},
		{name: "handler required", errs: ValidateRuntimeClass(rc(func(c *nodev1.RuntimeClass) { c.Handler = "" })), want: []string{"FieldValueRequired handler"}},
		{name: "handler is a DNS label", errs: ValidateRuntimeClass(rc(func(c *nodev1.RuntimeClass) { c.Handler = "run.sc" })), want: []string{"FieldValueInvalid handler"}},
		{name: "negative overhead", errs: ValidateRuntimeClass(rc(func(c *nodev1.RuntimeClass) {
			c.Overhead = &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("-1")}}
		})), want: []string{"FieldValueInvalid overhead.limits[cpu]"}},
		{name: "scheduling", errs: ValidateRuntimeClass(rc(func(c *nodev1.RuntimeClass) {
			c.Scheduling = &nodev1.Scheduling{NodeSelector: map[string]string{"bad key!": "x"},
				Tolerations: []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists}, {Key: "k", Operator: corev1.TolerationOpExists}, {Operator: "Equal"}}}
		})), want: []string{"FieldValueInvalid scheduling.nodeSelector", "FieldValueDuplicate scheduling.tolerations[1]", "FieldValueInvalid scheduling.tolerations[2].operator"}},
		{name: "handler immutable", errs: ValidateRuntimeClassUpdate(rc(func(c *nodev1.RuntimeClass) { c.Handler = "kata" }), rc(nil)),
			want: []string{"FieldValueInvalid handler"}, detail: "field is immutable"},
	})
}

func TestValidatePriorityClass(t *testing.T) {
	pc := func(name string, value int32, mut func(*schedulingv1.PriorityClass)) runtime.Object {
		c := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: "1"}, Value: value,
			PreemptionPolicy: ptr(corev1.PreemptLowerPriority)}
		if mut != nil {
			mut(c)
		}
		return c
	}
	runNetCases(t, []netCase{
		{name: "valid", errs: ValidatePriorityClass(pc("high", 1000, nil)), want: []string{}},
		{name: "user value too high", errs: ValidatePriorityClass(pc("high", 1000000001, nil)),
			want: []string{"FieldValueForbidden value"}, detail: "maximum allowed value of a user defined priority is 1000000000"},
		{name: "reserved prefix", errs: ValidatePriorityClass(pc("system-mine", 10, nil)),
			want: []string{"FieldValueForbidden metadata.name"}, detail: "system-mine is not a known system priority class"},
		{name: "system class with wrong value", errs: ValidatePriorityClass(pc("system-node-critical", 10, nil)),
			want: []string{"FieldValueForbidden metadata.name"}, detail: "value of system-node-critical PriorityClass must be 2000001000"},
		{name: "system class as is", errs: ValidatePriorityClass(pc("system-cluster-critical", 2000000000, nil)), want: []string{}},
		{name: "system class may not be the default", errs: ValidatePriorityClass(pc("system-cluster-critical", 2000000000, func(c *schedulingv1.PriorityClass) {
			c.GlobalDefault = true
		})), want: []string{"FieldValueForbidden metadata.name"}, detail: "globalDefault of system-cluster-critical PriorityClass must be false"},
		{name: "unknown preemption policy", errs: ValidatePriorityClass(pc("high", 1, func(c *schedulingv1.PriorityClass) {
			c.PreemptionPolicy = ptr(corev1.PreemptionPolicy("Sometimes"))
		})), want: []string{"FieldValueNotSupported preemptionPolicy"}},
		{name: "value immutable", errs: ValidatePriorityClassUpdate(pc("high", 2, nil), pc("high", 1, nil)),
			want: []string{"FieldValueForbidden value"}, detail: "may not be changed in an update."},
		{name: "preemption policy immutable", errs: ValidatePriorityClassUpdate(pc("high", 1, func(c *schedulingv1.PriorityClass) {
			c.PreemptionPolicy = ptr(corev1.PreemptNever)
		}), pc("high", 1, nil)), want: []string{"FieldValueInvalid preemptionPolicy"}},
	})
}
