// Package crdopenapi turns one served version of a CustomResourceDefinition into
// the OpenAPI definitions kube-apiserver publishes for it: the kind schema (the
// CRD's structural schema with metadata, apiVersion and kind filled in and the
// x-kubernetes-group-version-kind extension) and the list schema, both named by
// the reversed group ("com.example.stable.v1.CronTab"). The v3 form keeps the
// schema as written (x-kubernetes-int-or-string unfolded into anyOf); the v2 form
// drops what OpenAPI v2 readers such as kubectl cannot handle (allOf, anyOf,
// oneOf, not, nullable, typed objects that preserve unknown fields).
//
// SSADefinitions gives server-side apply the same schemas plus ObjectMeta and
// the types it references, for managedfields.NewTypeConverter.
//
// The package works on the apiextensions/v1 types directly; it keeps its own
// small copy of the structural-schema rules it needs (which JSON Schema fields a
// structural schema may hold) so that it depends on nothing else in kapi but the
// generated definitions of the built-in types.
package crdopenapi
