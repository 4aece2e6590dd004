package defaults

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerDiscoveryGroup installs the defaults of discovery.k8s.io/v1: every
// EndpointSlice port gets a name ("") and a protocol (TCP).
func registerDiscoveryGroup(s *runtime.Scheme) {
	add(s, endpointSlice)
	addList(s, func(l *discoveryv1.EndpointSliceList) []discoveryv1.EndpointSlice { return l.Items }, endpointSlice)
}

func endpointSlice(eps *discoveryv1.EndpointSlice) {
	for i := range eps.Ports {
		ptrOrDefault(&eps.Ports[i].Name, "")
		ptrOrDefault(&eps.Ports[i].Protocol, corev1.ProtocolTCP)
	}
}
