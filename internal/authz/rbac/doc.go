// Package rbac is the RBAC authorizer: it allows a request when a Role or ClusterRole
// bound to the user has a rule that matches it, as kube-apiserver's RBAC mode does. It
// reads the RBAC objects from an in-memory index kept current by watches, so that
// authorizing a request never touches etcd.
package rbac
