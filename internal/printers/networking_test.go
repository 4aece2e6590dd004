package printers

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
)

func TestNetworkingCells(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := func() time.Time { return now }
	meta := metav1.ObjectMeta{Name: "x", CreationTimestamp: metav1.NewTime(now.Add(-5 * time.Hour))}
	i32 := func(v int32) *int32 { return &v }
	str := func(v string) *string { return &v }
	rules := func(hosts ...string) []networkingv1.IngressRule {
		out := make([]networkingv1.IngressRule, len(hosts))
		for i, h := range hosts {
			out[i].Host = h
		}
		return out
	}
	tests := []struct {
		name    string
		table   *registry.Table
		obj     runtime.Object
		columns []string
		want    []any
	}{
		{
			name: "ingress without class, hosts or address", table: ingressTable(clk),
			obj:     &networkingv1.Ingress{ObjectMeta: meta},
			columns: []string{"Name", "Class", "Hosts", "Address", "Ports", "Age"},
			want:    []any{"x", "<none>", "*", "", "80", "5h"},
		},
		{
			name: "ingress with tls, many hosts and a load balancer", table: ingressTable(clk),
			obj: &networkingv1.Ingress{ObjectMeta: meta, Spec: networkingv1.IngressSpec{
				IngressClassName: str("nginx"), Rules: rules("a.com", "", "b.com", "c.com", "d.com"),
				TLS: []networkingv1.IngressTLS{{Hosts: []string{"a.com"}}}},
				Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{
					{IP: "10.0.0.2"}, {Hostname: "lb.example.com"}, {IP: "10.0.0.1"}, {IP: "10.0.0.2"}}}}},
			columns: []string{"Name", "Class", "Hosts", "Address", "Ports", "Age"},
			want:    []any{"x", "nginx", "a.com,b.com,c.com + 2 more...", "10.0.0.1,10.0.0.2,lb.example.com", "80, 443", "5h"},
		},
		{
			name: "default ingress class with parameters", table: ingressClassTable(clk),
			obj: &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx", CreationTimestamp: meta.CreationTimestamp,
				Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}},
				Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx", Parameters: &networkingv1.IngressClassParametersReference{
					APIGroup: str("k8s.example.com"), Kind: "IngressParameters", Name: "external-lb"}}},
			columns: []string{"Name", "Controller", "Parameters", "Age"},
			want:    []any{"nginx (default)", "k8s.io/ingress-nginx", "IngressParameters.k8s.example.com/external-lb", "5h"},
		},
		{
			name: "ingress class without parameters", table: ingressClassTable(clk),
			obj:     &networkingv1.IngressClass{ObjectMeta: meta, Spec: networkingv1.IngressClassSpec{Controller: "example.com/c"}},
			columns: []string{"Name", "Controller", "Parameters", "Age"},
			want:    []any{"x", "example.com/c", "<none>", "5h"},
		},
		{
			name: "network policy", table: networkPolicyTable(clk),
			obj: &networkingv1.NetworkPolicy{ObjectMeta: meta, Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
			columns: []string{"Name", "Pod-Selector", "Age"},
			want:    []any{"x", "app=web", "5h"},
		},
		{
			name: "network policy selecting all pods", table: networkPolicyTable(clk),
			obj:     &networkingv1.NetworkPolicy{ObjectMeta: meta},
			columns: []string{"Name", "Pod-Selector", "Age"},
			want:    []any{"x", "<none>", "5h"},
		},
		{
			name: "ip address of a service", table: ipAddressTable(clk),
			obj: &networkingv1.IPAddress{ObjectMeta: meta, Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{
				Resource: "services", Namespace: "default", Name: "kubernetes"}}},
			columns: []string{"Name", "ParentRef"},
			want:    []any{"x", "services/default/kubernetes", "5h"},
		},
		{
			name: "ip address of a grouped cluster resource", table: ipAddressTable(clk),
			obj: &networkingv1.IPAddress{ObjectMeta: meta, Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{
				Group: "Example.com", Resource: "Gateways", Name: "gw"}}},
			columns: []string{"Name", "ParentRef"},
			want:    []any{"x", "gateways.example.com/gw", "5h"},
		},
		{
			name: "service cidr", table: serviceCIDRTable(clk),
			obj:     &networkingv1.ServiceCIDR{ObjectMeta: meta, Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.96.0.0/16", "fd00::/108"}}},
			columns: []string{"Name", "CIDRs", "Age"},
			want:    []any{"x", "10.96.0.0/16,fd00::/108", "5h"},
		},
		{
			name: "empty endpoint slice", table: endpointSliceTable(clk),
			obj:     &discoveryv1.EndpointSlice{ObjectMeta: meta, AddressType: discoveryv1.AddressTypeIPv4},
			columns: []string{"Name", "AddressType", "Ports", "Endpoints", "Age"},
			want:    []any{"x", "IPv4", "<unset>", "<unset>", "5h"},
		},
		{
			name: "endpoint slice with many ports and addresses", table: endpointSliceTable(clk),
			obj: &discoveryv1.EndpointSlice{ObjectMeta: meta, AddressType: discoveryv1.AddressTypeIPv4,
				Ports: []discoveryv1.EndpointPort{{Port: i32(80)}, {Name: str("metrics")}, {}, {Port: i32(443)}},
				Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.1", "10.0.0.2"}}, {Addresses: []string{"10.0.0.3"}},
					{Addresses: []string{"10.0.0.4", "10.0.0.5"}}}},
			columns: []string{"Name", "AddressType", "Ports", "Endpoints", "Age"},
			want:    []any{"x", "IPv4", "80,metrics,* + 1 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 2 more...", "5h"},
		},
		{
			name: "runtime class", table: runtimeClassTable(clk),
			obj:     &nodev1.RuntimeClass{ObjectMeta: meta, Handler: "runsc"},
			columns: []string{"Name", "Handler", "Age"},
			want:    []any{"x", "runsc", "5h"},
		},
		{
			name: "priority class", table: priorityClassTable(clk),
			obj: &schedulingv1.PriorityClass{ObjectMeta: meta, Value: 1000, GlobalDefault: true,
				PreemptionPolicy: func() *corev1.PreemptionPolicy { p := corev1.PreemptNever; return &p }()},
			columns: []string{"Name", "Value", "Global-Default", "Age", "PreemptionPolicy"},
			want:    []any{"x", int64(1000), true, "5h", "Never"},
		},
		{
			name: "priority class without a policy", table: priorityClassTable(clk),
			obj:     &schedulingv1.PriorityClass{ObjectMeta: meta, Value: -5},
			columns: []string{"Name", "Value", "Global-Default", "Age", "PreemptionPolicy"},
			want:    []any{"x", int64(-5), false, "5h", ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cols []string
			for _, c := range tc.table.Columns {
				cols = append(cols, c.Name)
			}
			if !reflect.DeepEqual(cols, tc.columns) {
				t.Errorf("columns %v, want %v", cols, tc.columns)
			}
			got, err := tc.table.Cells(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cells\n got %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

// TestNetworkingColumns checks the column shape of the exported tables: one name
// column, priorities 0 only and upstream's descriptions (RuntimeClass's Handler is
// the one upstream leaves undescribed).
func TestNetworkingColumns(t *testing.T) {
	tables := map[string]func() *registry.Table{
		"ingresses": Ingress, "ingressclasses": IngressClass, "networkpolicies": NetworkPolicy, "ipaddresses": IPAddress,
		"servicecidrs": ServiceCIDR, "endpointslices": EndpointSlice, "runtimeclasses": RuntimeClass, "priorityclasses": PriorityClass,
	}
	for name, build := range tables {
		t.Run(name, func(t *testing.T) {
			names := 0
			for _, c := range build().Columns {
				if c.Format == "name" {
					names++
				}
				if c.Priority != 0 {
					t.Errorf("column %q has priority %d", c.Name, c.Priority)
				}
				if c.Description == "" && !(name == "runtimeclasses" && c.Name == "Handler") {
					t.Errorf("column %q has no description", c.Name)
				}
			}
			if names != 1 {
				t.Errorf("%d name columns", names)
			}
			if _, err := build().Cells(&corev1.Pod{}); err == nil {
				t.Errorf("printing a pod did not fail")
			}
		})
	}
}
