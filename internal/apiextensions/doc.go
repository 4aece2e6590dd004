// Package apiextensions serves custom resources: it watches the
// CustomResourceDefinitions, accepts their names and marks them Established,
// registers an endpoint for every served version (unstructured objects stored as
// JSON at /registry/<group>/<plural>, validated, pruned and defaulted by the
// version's schema, converted between versions), publishes them in discovery and
// OpenAPI, and deletes every instance before a deleted CRD goes.
package apiextensions
