// Package request holds what every layer learns about an HTTP request: the parsed
// RequestInfo (verb, group, version, resource, namespace, name), the authenticated
// user and the audit ID, carried in the request context. It imports nothing internal.
package request
