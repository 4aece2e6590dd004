package builtin

import (
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// networking serves networking.k8s.io/v1. Ingresses live under the singular etcd
// prefix "ingress", as upstream; ipaddresses are the same objects the Service
// ClusterIP allocator writes (internal/controllers/ipalloc).
func networking() []*registry.Resource {
	gv := networkingv1.SchemeGroupVersion
	res := func(kind, name, singular, key string, namespaced bool, short ...string) *registry.Resource {
		return &registry.Resource{GroupVersion: gv, Name: name, SingularName: singular, Kind: kind, Namespaced: namespaced,
			ShortNames: short, StorageKind: gv.WithKind(kind), KeyPrefix: key}
	}

	ic := res("IngressClass", "ingressclasses", "ingressclass", "ingressclasses", false)
	ic.TrackGeneration = true
	ic.Validate, ic.ValidateUpdate, ic.Table = v.ValidateIngressClass, v.ValidateIngressClassUpdate, printers.IngressClass()

	ing := res("Ingress", "ingresses", "ingress", "ingress", true, "ing")
	ing.Status, ing.TrackGeneration, ing.StatusTakesMetadata = true, true, true
	ing.Validate, ing.ValidateUpdate, ing.ValidateStatusUpdate = v.ValidateIngress, v.ValidateIngressUpdate, v.ValidateIngressStatusUpdate
	ing.Table = printers.Ingress()

	ip := res("IPAddress", "ipaddresses", "ipaddress", "ipaddresses", false, "ip")
	ip.ValidateName = v.ValidateIPAddressName
	ip.Validate, ip.ValidateUpdate, ip.Table = v.ValidateIPAddress, v.ValidateIPAddressUpdate, printers.IPAddress()

	np := res("NetworkPolicy", "networkpolicies", "networkpolicy", "networkpolicies", true, "netpol")
	np.TrackGeneration = true
	np.Validate, np.ValidateUpdate, np.Table = v.ValidateNetworkPolicy, v.ValidateNetworkPolicyUpdate, printers.NetworkPolicy()

	// ServiceCIDRStatusFieldWiping is on in v1.37: the main resource neither sets
	// nor changes status.
	sc := res("ServiceCIDR", "servicecidrs", "servicecidr", "servicecidrs", false)
	sc.Status = true
	sc.Validate, sc.ValidateUpdate, sc.ValidateStatusUpdate = v.ValidateServiceCIDR, v.ValidateServiceCIDRUpdate, v.ValidateServiceCIDRStatusUpdate
	sc.Table = printers.ServiceCIDR()

	return []*registry.Resource{ic, ing, ip, np, sc}
}
