package printers

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/registry"
)

// shortList is how upstream abbreviates long lists in a cell: the first three
// entries, then "+ N more...".
const shortList = 3

// Ingress prints NAME CLASS HOSTS ADDRESS PORTS AGE.
func Ingress() *registry.Table { return ingressTable(time.Now) }

func ingressTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
		column("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
		column("Address", "string", "Address is a list containing ingress points for the load-balancer"),
		column("Ports", "string", "Ports of TLS configurations that open"),
		ageColumn(),
	}
	return typed("ingresses", cols, func(ing *networkingv1.Ingress) []any {
		class := deref(ing.Spec.IngressClassName, none)
		ports := "80"
		if len(ing.Spec.TLS) > 0 {
			ports = "80, 443"
		}
		return []any{ing.Name, class, ingressHosts(ing.Spec.Rules), ingressAddress(ing.Status.LoadBalancer), ports, since(now, ing.CreationTimestamp)}
	})
}

// ingressHosts lists the rules' hosts, "*" when none names one. The "more" count
// is of rules, not hosts, as upstream counts it.
func ingressHosts(rules []networkingv1.IngressRule) string {
	var hosts []string
	more := false
	for _, r := range rules {
		if len(hosts) == shortList {
			more = true
		}
		if !more && r.Host != "" {
			hosts = append(hosts, r.Host)
		}
	}
	if len(hosts) == 0 {
		return "*"
	}
	out := strings.Join(hosts, ",")
	if more {
		return fmt.Sprintf("%s + %d more...", out, len(rules)-shortList)
	}
	return out
}

// ingressAddress joins the sorted, distinct IPs (or host names) of the load
// balancer. The server prints tables wide, so the list is never truncated.
func ingressAddress(s networkingv1.IngressLoadBalancerStatus) string {
	var addrs []string
	for _, lb := range s.Ingress {
		a := lb.IP
		if a == "" {
			a = lb.Hostname
		}
		if a != "" && !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	slices.Sort(addrs)
	return strings.Join(addrs, ",")
}

// IngressClass prints NAME CONTROLLER PARAMETERS AGE; the default class is marked
// "(default)".
func IngressClass() *registry.Table { return ingressClassTable(time.Now) }

func ingressClassTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Controller", "string", "Controller that is responsible for handling this class"),
		column("Parameters", "string", "A reference to a resource with additional parameters"),
		ageColumn(),
	}
	return typed("ingressclasses", cols, func(ic *networkingv1.IngressClass) []any {
		name := ic.Name
		if ic.Annotations[networkingv1.AnnotationIsDefaultIngressClass] == "true" {
			name += " (default)"
		}
		params := none
		if p := ic.Spec.Parameters; p != nil {
			params = p.Kind
			if p.APIGroup != nil {
				params += "." + *p.APIGroup
			}
			params += "/" + p.Name
		}
		return []any{name, ic.Spec.Controller, params, since(now, ic.CreationTimestamp)}
	})
}

// NetworkPolicy prints NAME POD-SELECTOR AGE.
func NetworkPolicy() *registry.Table { return networkPolicyTable(time.Now) }

func networkPolicyTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Pod-Selector", "string", networkingv1.NetworkPolicySpec{}.SwaggerDoc()["podSelector"]),
		ageColumn(),
	}
	return typed("networkpolicies", cols, func(np *networkingv1.NetworkPolicy) []any {
		return []any{np.Name, metav1.FormatLabelSelector(&np.Spec.PodSelector), since(now, np.CreationTimestamp)}
	})
}

// IPAddress prints NAME PARENTREF; like upstream it has no Age column but still
// fills an age cell.
func IPAddress() *registry.Table { return ipAddressTable(time.Now) }

func ipAddressTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("ParentRef", "string", networkingv1.IPAddressSpec{}.SwaggerDoc()["parentRef"]),
	}
	return typed("ipaddresses", cols, func(ip *networkingv1.IPAddress) []any {
		parent := none
		if ref := ip.Spec.ParentRef; ref != nil {
			parent = strings.ToLower(schema.GroupResource{Group: ref.Group, Resource: ref.Resource}.String())
			if ref.Namespace != "" {
				parent += "/" + ref.Namespace
			}
			parent += "/" + ref.Name
		}
		return []any{ip.Name, parent, since(now, ip.CreationTimestamp)}
	})
}

// ServiceCIDR prints NAME CIDRS AGE.
func ServiceCIDR() *registry.Table { return serviceCIDRTable(time.Now) }

func serviceCIDRTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("CIDRs", "string", networkingv1.ServiceCIDRSpec{}.SwaggerDoc()["cidrs"]),
		ageColumn(),
	}
	return typed("servicecidrs", cols, func(sc *networkingv1.ServiceCIDR) []any {
		return []any{sc.Name, strings.Join(sc.Spec.CIDRs, ","), since(now, sc.CreationTimestamp)}
	})
}

// EndpointSlice prints NAME ADDRESSTYPE PORTS ENDPOINTS AGE.
func EndpointSlice() *registry.Table { return endpointSliceTable(time.Now) }

func endpointSliceTable(now clock) *registry.Table {
	doc := discoveryv1.EndpointSlice{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("AddressType", "string", doc["addressType"]),
		column("Ports", "string", doc["ports"]),
		column("Endpoints", "string", doc["endpoints"]),
		ageColumn(),
	}
	return typed("endpointslices", cols, func(eps *discoveryv1.EndpointSlice) []any {
		return []any{eps.Name, string(eps.AddressType), slicePortsCell(eps.Ports), sliceEndpointsCell(eps.Endpoints), since(now, eps.CreationTimestamp)}
	})
}

// slicePortsCell lists port numbers, or the name of a port without a number, or "*".
func slicePortsCell(ports []discoveryv1.EndpointPort) string {
	var list []string
	for _, p := range ports {
		if len(list) == shortList {
			break
		}
		switch {
		case p.Port != nil:
			list = append(list, strconv.Itoa(int(*p.Port)))
		case p.Name != nil:
			list = append(list, *p.Name)
		default:
			list = append(list, "*")
		}
	}
	return withMore(list, len(ports))
}

// sliceEndpointsCell lists the first addresses across all endpoints.
func sliceEndpointsCell(endpoints []discoveryv1.Endpoint) string {
	var list []string
	count := 0
	for _, ep := range endpoints {
		for _, a := range ep.Addresses {
			if len(list) < shortList {
				list = append(list, a)
			}
			count++
		}
	}
	return withMore(list, count)
}

// withMore joins list and says how many of count entries were left out; an empty
// list is "<unset>".
func withMore(list []string, count int) string {
	out := strings.Join(list, ",")
	if count > shortList {
		return fmt.Sprintf("%s + %d more...", out, count-shortList)
	}
	if out == "" {
		return unset
	}
	return out
}

// RuntimeClass prints NAME HANDLER AGE. Upstream describes HANDLER with an
// ObjectMeta doc key that does not exist, so its description is empty.
func RuntimeClass() *registry.Table { return runtimeClassTable(time.Now) }

func runtimeClassTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Handler", "string", metaDoc("handler")),
		ageColumn(),
	}
	return typed("runtimeclasses", cols, func(rc *nodev1.RuntimeClass) []any {
		return []any{rc.Name, rc.Handler, since(now, rc.CreationTimestamp)}
	})
}

// PriorityClass prints NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY.
func PriorityClass() *registry.Table { return priorityClassTable(time.Now) }

func priorityClassTable(now clock) *registry.Table {
	doc := schedulingv1.PriorityClass{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Value", "integer", doc["value"]),
		column("Global-Default", "boolean", doc["globalDefault"]),
		ageColumn(),
		column("PreemptionPolicy", "string", doc["preemptionPolicy"]),
	}
	return typed("priorityclasses", cols, func(pc *schedulingv1.PriorityClass) []any {
		policy := ""
		if pc.PreemptionPolicy != nil {
			policy = string(*pc.PreemptionPolicy)
		}
		return []any{pc.Name, int64(pc.Value), pc.GlobalDefault, since(now, pc.CreationTimestamp), policy}
	})
}
