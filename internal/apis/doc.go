// Package apis builds the runtime.Scheme kapi serves: every k8s.io/api group it knows,
// plus kapi's own defaulting functions and the conversions between versions of the
// same stored object. Callers build one scheme at start and share it read-only.
package apis
