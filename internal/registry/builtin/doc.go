// Package builtin lists the built-in resources kapi serves, one file per API group:
// names, scope, etcd key, storage kind and the behaviour hooks (defaults run in the
// scheme; validation and Table printing come from internal/validation and
// internal/printers).
package builtin

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/controllers/ipalloc"
	"github.com/kapi-dev/kapi/internal/controllers/portalloc"
	"github.com/kapi-dev/kapi/internal/proxy"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

// Deps are what some resources' hooks need from the server.
type Deps struct {
	// AllowPrivileged is --allow-privileged: without it, pod specs asking for
	// privileged containers are invalid.
	AllowPrivileged bool
	// ServiceIPs allocates Service ClusterIPs.
	ServiceIPs *ipalloc.Allocator
	// ServiceNodePorts allocates Service node ports.
	ServiceNodePorts *portalloc.Allocator
	// Stores finds the store of another resource once the server has built them all
	// (pods/binding writes pods).
	Stores func(gvr schema.GroupVersionResource) *registry.Store
	// EtcdHealth checks etcd for componentstatuses.
	EtcdHealth func(ctx context.Context) error
	// Authorizer answers the access reviews (the server's whole authorizer chain).
	Authorizer authz.Authorizer
	// TokenReviewer authenticates the bearer token of a TokenReview for audiences.
	TokenReviewer func(ctx context.Context, token string, audiences []string) (*request.User, bool, error)
	// RBAC resolves rules for RBAC's escalation checks; nil when RBAC is not enabled.
	RBAC RBACRules
	// APIAudiences are the audiences a TokenReview without audiences is checked for.
	APIAudiences []string
	// ServiceAccountTokens issues the tokens of serviceaccounts/token.
	ServiceAccountTokens *ServiceAccountTokens
	// Kubelet reaches nodes' kubelets for pods/log, exec, attach, portforward and
	// nodes/proxy; nil uses an unverified client with upstream's defaults.
	Kubelet *proxy.Kubelet
}

// Resources returns every built-in resource, in discovery order.
func Resources(deps Deps) []*registry.Resource {
	var out []*registry.Resource
	out = append(out, core(deps)...)
	out = append(out, apps()...)
	out = append(out, events()...)
	out = append(out, coordination()...)
	for _, group := range [][]*registry.Resource{
		batch(), autoscaling(), policy(), networking(), discoveryGroup(), node(), scheduling(),
		reviews(deps), rbac(deps), storageGroup(), apiExtensions(), apiRegistration(), certificates(), admissionregistration(), flowcontrol(),
		storagemigration(), resourceGroup(),
	} {
		out = append(out, group...)
	}
	out = withValidation(out)
	if !deps.AllowPrivileged {
		out = refusePrivileged(out)
	}
	return withTables(out)
}
