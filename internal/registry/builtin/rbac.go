package builtin

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// rbac serves rbac.authorization.k8s.io/v1. As upstream, PUT may create, updates
// need no resourceVersion and names are any URL path segment ("system:node"), and a
// user may only grant what they hold (rbacescalation.go).
func rbac(deps Deps) []*registry.Resource {
	esc := escalation{deps: deps}
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
	roles.AuthorizeWrite = esc.roleWrite("roles", func(o runtime.Object) []rbacv1.PolicyRule { return o.(*rbacv1.Role).Rules })

	roleBindings := kind("RoleBinding", "rolebindings", "rolebinding", true)
	roleBindings.Validate, roleBindings.ValidateUpdate = v.ValidateRoleBinding, v.ValidateRoleBindingUpdate
	roleBindings.Table = printers.RoleBinding()
	roleBindings.AuthorizeWrite = esc.bindingWrite("rolebindings", func(o runtime.Object) rbacv1.RoleRef { return o.(*rbacv1.RoleBinding).RoleRef })

	clusterRoles := kind("ClusterRole", "clusterroles", "clusterrole", false)
	clusterRoles.Validate, clusterRoles.ValidateUpdate = v.ValidateClusterRole, v.ValidateClusterRoleUpdate
	clusterRoles.Table = printers.ClusterRole()
	clusterRoles.AuthorizeWrite = esc.clusterRoleWrite()

	clusterRoleBindings := kind("ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", false)
	clusterRoleBindings.Validate, clusterRoleBindings.ValidateUpdate = v.ValidateClusterRoleBinding, v.ValidateClusterRoleBindingUpdate
	clusterRoleBindings.Table = printers.ClusterRoleBinding()
	clusterRoleBindings.AuthorizeWrite = esc.bindingWrite("clusterrolebindings", func(o runtime.Object) rbacv1.RoleRef { return o.(*rbacv1.ClusterRoleBinding).RoleRef })

	return []*registry.Resource{clusterRoleBindings, clusterRoles, roleBindings, roles}
}
