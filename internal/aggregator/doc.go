// Package aggregator serves the API groups of extension API servers the way
// kube-aggregator does: APIServices that name a Service are kept in a table, requests
// for their group versions are proxied to the Service with the caller's identity in
// front-proxy headers over the aggregator's client certificate, each one's Available
// condition is maintained by probing, and their discovery and OpenAPI v3 documents
// are merged into the server's own.
package aggregator
