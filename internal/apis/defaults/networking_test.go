package defaults

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func netPtr[T any](v T) *T { return &v }

func TestNetworkingDefaults(t *testing.T) {
	s := runtime.NewScheme()
	Register(s)
	port := intstr.FromInt32(80)
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP
	cluster, namespace := networkingv1.IngressClassParametersReferenceScopeCluster, networkingv1.IngressClassParametersReferenceScopeNamespace
	tests := []struct {
		name    string
		in, out runtime.Object
	}{
		{
			name: "network policy without rules is ingress only",
			in:   &networkingv1.NetworkPolicy{},
			out:  &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}},
		},
		{
			name: "network policy with egress rules and ports",
			in: &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{
				Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &port}, {Protocol: &udp}}}},
				Egress:  []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{}}}}}},
			out: &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{
				Ingress:     []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: &port, Protocol: &tcp}, {Protocol: &udp}}}},
				Egress:      []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp}}}},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}}},
		},
		{
			name: "explicit policy types are kept",
			in:   &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}}},
			out:  &networkingv1.NetworkPolicy{Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}}},
		},
		{
			name: "ingress class parameters default to cluster scope",
			in:   &networkingv1.IngressClassList{Items: []networkingv1.IngressClass{{Spec: networkingv1.IngressClassSpec{Parameters: &networkingv1.IngressClassParametersReference{Kind: "K"}}}, {}}},
			out: &networkingv1.IngressClassList{Items: []networkingv1.IngressClass{{Spec: networkingv1.IngressClassSpec{
				Parameters: &networkingv1.IngressClassParametersReference{Kind: "K", Scope: &cluster}}}, {}}},
		},
		{
			name: "namespace scope is kept",
			in:   &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Parameters: &networkingv1.IngressClassParametersReference{Scope: &namespace}}},
			out:  &networkingv1.IngressClass{Spec: networkingv1.IngressClassSpec{Parameters: &networkingv1.IngressClassParametersReference{Scope: &namespace}}},
		},
		{
			name: "ingress is not defaulted",
			in:   &networkingv1.Ingress{Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "a"}}}},
			out:  &networkingv1.Ingress{Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "a"}}}},
		},
		{
			name: "endpoint slice ports get a name and TCP",
			in: &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{Port: netPtr(int32(80))},
				{Name: netPtr("dns"), Protocol: &udp}}},
			out: &discoveryv1.EndpointSlice{Ports: []discoveryv1.EndpointPort{{Name: netPtr(""), Protocol: &tcp, Port: netPtr(int32(80))},
				{Name: netPtr("dns"), Protocol: &udp}}},
		},
		{
			name: "priority class preempts lower priorities",
			in:   &schedulingv1.PriorityClassList{Items: []schedulingv1.PriorityClass{{Value: 1}, {PreemptionPolicy: netPtr(corev1.PreemptNever)}}},
			out: &schedulingv1.PriorityClassList{Items: []schedulingv1.PriorityClass{{Value: 1, PreemptionPolicy: netPtr(corev1.PreemptLowerPriority)},
				{PreemptionPolicy: netPtr(corev1.PreemptNever)}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Default(tc.in)
			if diff := cmp.Diff(tc.out, tc.in); diff != "" {
				t.Errorf("defaulted object differs (-want +got):\n%s", diff)
			}
		})
	}
}
