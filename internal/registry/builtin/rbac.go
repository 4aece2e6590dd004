package builtin

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// rbac serves rbac.authorization.k8s.io/v1. As upstream, PUT may create, updates
// need no resourceVersion and names are any URL path segment ("system:node").
// Escalation checks (a user may only grant what they hold) belong to the
// authorizer and are not made here.
func rbac() []*registry.Resource {
	gv := rbacv1.SchemeGroupVersion
	kind := func(kind, name, singular string, namespaced bool) *registry.Resource {
		return &registry.Resource{
			GroupVersion: gv, Kind: kind, Name: name, SingularName: singular, Namespaced: namespaced,
			StorageKind: gv.WithKind(kind), KeyPrefix: name,
			AllowCreateOnUpdate: true,
			ValidateName:        v.ValidateRBACName,
		}
	}

	roles := kind("Role", "roles", "role", true)
	roles.Validate, roles.ValidateUpdate = v.ValidateRole, v.ValidateRoleUpdate
	roles.Table = printers.Role()

	roleBindings := kind("RoleBinding", "rolebindings", "rolebinding", true)
	roleBindings.Validate, roleBindings.ValidateUpdate = v.ValidateRoleBinding, v.ValidateRoleBindingUpdate
	roleBindings.Table = printers.RoleBinding()

	clusterRoles := kind("ClusterRole", "clusterroles", "clusterrole", false)
	clusterRoles.Validate, clusterRoles.ValidateUpdate = v.ValidateClusterRole, v.ValidateClusterRoleUpdate
	clusterRoles.Table = printers.ClusterRole()

	clusterRoleBindings := kind("ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", false)
	clusterRoleBindings.Validate, clusterRoleBindings.ValidateUpdate = v.ValidateClusterRoleBinding, v.ValidateClusterRoleBindingUpdate
	clusterRoleBindings.Table = printers.ClusterRoleBinding()

	return []*registry.Resource{clusterRoleBindings, clusterRoles, roleBindings, roles}
}
