package printers

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Service prints NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE; wide adds SELECTOR.
func Service() *registry.Table { return serviceTable(time.Now) }

func serviceTable(now clock) *registry.Table {
	doc := corev1.ServiceSpec{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Type", "string", doc["type"]),
		column("Cluster-IP", "string", doc["clusterIP"]),
		column("External-IP", "string", doc["externalIPs"]),
		column("Port(s)", "string", doc["ports"]),
		ageColumn(),
		wide("Selector", "string", doc["selector"]),
	}
	return typed("services", cols, func(svc *corev1.Service) []any {
		// spec.clusterIPs is authoritative; its first entry equals spec.clusterIP.
		clusterIP := ""
		if len(svc.Spec.ClusterIPs) > 0 {
			clusterIP = svc.Spec.ClusterIPs[0]
		}
		return []any{
			svc.Name,
			string(svc.Spec.Type),
			orNone(clusterIP),
			serviceExternalIP(svc),
			orNone(servicePorts(svc.Spec.Ports)),
			since(now, svc.CreationTimestamp),
			labels.FormatLabels(svc.Spec.Selector),
		}
	})
}

// serviceExternalIP is what reaches the service from outside: external IPs, the
// load balancer ingress ("<pending>" until provisioned) or the external name. The
// server renders the untruncated (wide) form, as kube-apiserver does.
func serviceExternalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		if len(svc.Spec.ExternalIPs) > 0 {
			return strings.Join(svc.Spec.ExternalIPs, ",")
		}
		return none
	case corev1.ServiceTypeLoadBalancer:
		ips := loadBalancerIngress(svc.Status.LoadBalancer)
		ips = append(ips, svc.Spec.ExternalIPs...)
		if len(ips) == 0 {
			return "<pending>"
		}
		return strings.Join(ips, ",")
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	}
	return unknown
}

// loadBalancerIngress returns the sorted, de-duplicated ingress IPs (or hostnames
// for ingress points without an IP).
func loadBalancerIngress(lb corev1.LoadBalancerStatus) []string {
	var out []string
	for _, in := range lb.Ingress {
		switch {
		case in.IP != "":
			out = append(out, in.IP)
		case in.Hostname != "":
			out = append(out, in.Hostname)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// servicePorts renders "port/proto" or "port:nodePort/proto" for each port.
func servicePorts(ports []corev1.ServicePort) string {
	pieces := make([]string, len(ports))
	for i, p := range ports {
		if p.NodePort > 0 {
			pieces[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
		} else {
			pieces[i] = fmt.Sprintf("%d/%s", p.Port, p.Protocol)
		}
	}
	return strings.Join(pieces, ",")
}

// Node prints NAME STATUS ROLES AGE VERSION; wide adds INTERNAL-IP EXTERNAL-IP
// OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME.
func Node() *registry.Table { return nodeTable(time.Now) }

func nodeTable(now clock) *registry.Table {
	info := corev1.NodeSystemInfo{}.SwaggerDoc()
	addresses := corev1.NodeStatus{}.SwaggerDoc()["addresses"]
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Status", "string", "The status of the node"),
		column("Roles", "string", "The roles of the node"),
		ageColumn(),
		column("Version", "string", info["kubeletVersion"]),
		wide("Internal-IP", "string", addresses),
		wide("External-IP", "string", addresses),
		wide("OS-Image", "string", info["osImage"]),
		wide("Kernel-Version", "string", info["kernelVersion"]),
		wide("Container-Runtime", "string", info["containerRuntimeVersion"]),
	}
	return typed("nodes", cols, func(n *corev1.Node) []any {
		ni := n.Status.NodeInfo
		kernel := cmpOr(ni.KernelVersion, unknown)
		if ni.Architecture != "" {
			kernel += " (" + ni.Architecture + ")"
		}
		return []any{
			n.Name,
			nodeStatus(n),
			nodeRoles(n),
			since(now, n.CreationTimestamp),
			ni.KubeletVersion,
			nodeAddress(n, corev1.NodeInternalIP),
			nodeAddress(n, corev1.NodeExternalIP),
			cmpOr(ni.OSImage, unknown),
			kernel,
			cmpOr(ni.ContainerRuntimeVersion, unknown),
		}
	})
}

// nodeStatus is Ready/NotReady from the last Ready condition (Unknown without one),
// plus SchedulingDisabled for a cordoned node.
func nodeStatus(n *corev1.Node) string {
	var status []string
	var ready *corev1.NodeCondition
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			ready = &n.Status.Conditions[i]
		}
	}
	switch {
	case ready == nil:
		status = append(status, "Unknown")
	case ready.Status == corev1.ConditionTrue:
		status = append(status, string(corev1.NodeReady))
	default:
		status = append(status, "Not"+string(corev1.NodeReady))
	}
	if n.Spec.Unschedulable {
		status = append(status, "SchedulingDisabled")
	}
	return strings.Join(status, ",")
}

// Role labels: node-role.kubernetes.io/<role> (any value) and the older
// kubernetes.io/role=<role>.
const (
	nodeRolePrefix = "node-role.kubernetes.io/"
	nodeRoleLabel  = "kubernetes.io/role"
)

// nodeRoles lists the sorted, distinct roles from the role labels, or "<none>".
func nodeRoles(n *corev1.Node) string {
	var roles []string
	for k, v := range n.Labels {
		switch {
		case strings.HasPrefix(k, nodeRolePrefix):
			if role := strings.TrimPrefix(k, nodeRolePrefix); role != "" {
				roles = append(roles, role)
			}
		case k == nodeRoleLabel && v != "":
			roles = append(roles, v)
		}
	}
	slices.Sort(roles)
	roles = slices.Compact(roles)
	return orNone(strings.Join(roles, ","))
}

// nodeAddress returns the first address of the type, or "<none>".
func nodeAddress(n *corev1.Node, typ corev1.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == typ {
			return a.Address
		}
	}
	return none
}
