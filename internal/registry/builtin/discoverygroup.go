package builtin

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// discoveryGroup serves discovery.k8s.io/v1 EndpointSlices. Their generation
// moves on any change outside metadata, and on label changes too, as upstream.
func discoveryGroup() []*registry.Resource {
	gv := discoveryv1.SchemeGroupVersion
	return []*registry.Resource{{
		GroupVersion: gv, Name: "endpointslices", SingularName: "endpointslice", Kind: "EndpointSlice", Namespaced: true,
		StorageKind: gv.WithKind("EndpointSlice"), KeyPrefix: "endpointslices",
		TrackGeneration: true,
		PrepareForCreate: func(obj runtime.Object) {
			dropDeprecatedTopology(nil, obj.(*discoveryv1.EndpointSlice))
		},
		PrepareForUpdate: func(obj, old runtime.Object) {
			eps, was := obj.(*discoveryv1.EndpointSlice), old.(*discoveryv1.EndpointSlice)
			if !apiequality.Semantic.DeepEqual(eps.Labels, was.Labels) {
				eps.Generation = was.Generation + 1
			}
			dropDeprecatedTopology(was, eps)
		},
		Validate:       v.ValidateEndpointSlice,
		ValidateUpdate: v.ValidateEndpointSliceUpdate,
		Table:          printers.EndpointSlice(),
	}}
}

// dropDeprecatedTopology clears deprecatedTopology, which v1 clients may not write,
// when the endpoints change. An endpoint without nodeName whose topology names a
// host the old slice already named gets that host as nodeName.
func dropDeprecatedTopology(old, eps *discoveryv1.EndpointSlice) {
	if old != nil && apiequality.Semantic.DeepEqual(old.Endpoints, eps.Endpoints) {
		return
	}
	known := map[string]bool{}
	if old != nil {
		for _, ep := range old.Endpoints {
			if host := ep.DeprecatedTopology[corev1.LabelHostname]; host != "" {
				known[host] = true
			}
		}
	}
	for i := range eps.Endpoints {
		ep := &eps.Endpoints[i]
		host, ok := ep.DeprecatedTopology[corev1.LabelHostname]
		if ep.NodeName == nil && ok && known[host] && len(v.NameIsDNSSubdomain(host, false)) == 0 {
			ep.NodeName = &host
		}
		ep.DeprecatedTopology = nil
	}
}
