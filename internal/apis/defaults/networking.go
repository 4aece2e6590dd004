package defaults

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerNetworking installs the defaults of networking.k8s.io/v1: network policy
// ports are TCP and policy types follow the rules present; ingress class parameters
// are cluster scoped. Ingresses, IPAddresses and ServiceCIDRs have none.
func registerNetworking(s *runtime.Scheme) {
	add(s, networkPolicy)
	addList(s, func(l *networkingv1.NetworkPolicyList) []networkingv1.NetworkPolicy { return l.Items }, networkPolicy)
	add(s, ingressClass)
	addList(s, func(l *networkingv1.IngressClassList) []networkingv1.IngressClass { return l.Items }, ingressClass)
}

// networkPolicy selects Ingress, plus Egress when egress rules are given, unless
// the policy names its types.
func networkPolicy(np *networkingv1.NetworkPolicy) {
	spec := &np.Spec
	if len(spec.PolicyTypes) == 0 {
		spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(spec.Egress) != 0 {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
	for i := range spec.Ingress {
		for j := range spec.Ingress[i].Ports {
			ptrOrDefault(&spec.Ingress[i].Ports[j].Protocol, corev1.ProtocolTCP)
		}
	}
	for i := range spec.Egress {
		for j := range spec.Egress[i].Ports {
			ptrOrDefault(&spec.Egress[i].Ports[j].Protocol, corev1.ProtocolTCP)
		}
	}
}

func ingressClass(ic *networkingv1.IngressClass) {
	if p := ic.Spec.Parameters; p != nil {
		ptrOrDefault(&p.Scope, networkingv1.IngressClassParametersReferenceScopeCluster)
	}
}
