// Package discovery serves the API discovery documents of kube-apiserver v1.37 —
// /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version> and the aggregated
// discovery (apidiscovery.k8s.io/v2) of /api and /apis — computed from kapi's
// registry.Resources, so that clients (kubectl, client-go's RESTMapper, controllers)
// find exactly the resources, verbs, short names and storage version hashes that
// kapi serves.
//
// The documents are built once per set of resources (New, Set) and swapped
// atomically, because discovery is read on every client start while the resource
// set changes only when CRDs or APIServices change. Group and version order follows
// kube-apiserver's APIService priorities (order.go): clients pick the preferred
// version from it, so it is part of the contract.
package discovery
