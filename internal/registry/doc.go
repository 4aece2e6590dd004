// Package registry turns storage into the REST semantics of Kubernetes resources: a
// Resource describes one served resource (names, scope, storage key, behaviour hooks)
// and Store applies the generic object rules (metadata, generation, status split,
// optimistic concurrency, finalizers) around storage.Interface.
// Each built-in resource's hooks live in registry/<group>/.
package registry
