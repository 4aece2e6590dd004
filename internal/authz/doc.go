// Package authz decides whether a user may perform a request. The Authorizer
// interface is what the RBAC, Node and webhook authorizers implement; this package
// also holds the modes that need no policy store.
package authz
