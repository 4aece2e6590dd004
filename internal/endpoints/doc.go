// Package endpoints serves the resource API: it finds the Resource a request names,
// negotiates the content type, decodes bodies, runs the verb against the registry
// Store (admission included) and encodes the answer — an object, a list, a Table,
// PartialObjectMetadata, a watch stream or a metav1.Status error. One file per verb.
package endpoints
