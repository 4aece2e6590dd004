package server

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/authz/rbac"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
)

// newAuthorizer builds the authorizers of --authorization-mode, in order, behind the
// system:masters authorizer that upstream always puts first.
func (s *Server) newAuthorizer() (authz.Authorizer, error) {
	modes := s.cfg.AuthorizationModes
	if len(modes) == 0 {
		return authz.Union{authz.Privileged{}, authz.Authenticated{}}, nil
	}
	u := authz.Union{authz.Privileged{}}
	seen := map[string]bool{}
	for _, m := range modes {
		if seen[m] {
			return nil, fmt.Errorf("authorization-mode %q has mode specified more than once", m)
		}
		seen[m] = true
		switch m {
		case "AlwaysAllow":
			u = append(u, authz.AlwaysAllow{})
		case "AlwaysDeny":
			u = append(u, authz.AlwaysDeny{})
		case "RBAC":
			s.rbacIndex = rbac.NewIndex()
			u = append(u, rbac.New(s.rbacIndex))
		case "Node", "Webhook":
			// Until these land, they behave as the interim policy.
			u = append(u, authz.Authenticated{})
		default:
			return nil, fmt.Errorf("authorization-mode %q is not a valid mode", m)
		}
	}
	return u, nil
}

// rbacRules is what RBAC's escalation checks resolve rules with; nil without RBAC.
func (s *Server) rbacRules() builtin.RBACRules {
	if s.rbacIndex == nil {
		return nil
	}
	return rbac.New(s.rbacIndex)
}

var rbacGroup = schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}

// startRBAC feeds the RBAC index from the stores and waits until it holds every
// object, so that the first authorized request sees the whole policy.
func (s *Server) startRBAC(ctx, waitCtx context.Context) error {
	if s.rbacIndex == nil {
		return nil
	}
	s.rbacIndex.Run(ctx, rbac.Sources{
		Roles:               s.stores[rbacGroup.WithResource("roles")],
		RoleBindings:        s.stores[rbacGroup.WithResource("rolebindings")],
		ClusterRoles:        s.stores[rbacGroup.WithResource("clusterroles")],
		ClusterRoleBindings: s.stores[rbacGroup.WithResource("clusterrolebindings")],
	})
	return s.rbacIndex.WaitForSync(waitCtx)
}
