// Package validation checks built-in objects the way kube-apiserver v1.37 does, so
// that clients see the same 422 causes (field path, error type, detail) from kapi as
// from upstream.
//
// It works on the versioned k8s.io/api types after defaulting, because kapi has no
// internal types. Every resource X has ValidateX(obj) for create and
// ValidateXUpdate(obj, old) for update; resources with a status subresource also have
// ValidateXStatusUpdate. Each of them includes metadata validation (name rule of the
// resource, labels, annotations, finalizers, owner references, and on update the
// immutable metadata fields), so the registry needs nothing else. The functions never
// panic on an unexpected type: they return an InternalError cause instead.
//
// Only the checks users meet first are implemented; rare fields (volume plugin
// details, security contexts, affinity, topology spread, probes) are left to the
// schema and are not yet validated here.
package validation
