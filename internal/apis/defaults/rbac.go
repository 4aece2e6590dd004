package defaults

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerRbac installs the defaults of rbac.authorization.k8s.io/v1: a binding's
// roleRef and its User and Group subjects belong to the RBAC API group unless they
// say otherwise. Roles and ClusterRoles have no defaults.
func registerRbac(s *runtime.Scheme) {
	add(s, rbacRoleBinding)
	addList(s, func(l *rbacv1.RoleBindingList) []rbacv1.RoleBinding { return l.Items }, rbacRoleBinding)
	add(s, rbacClusterRoleBinding)
	addList(s, func(l *rbacv1.ClusterRoleBindingList) []rbacv1.ClusterRoleBinding { return l.Items }, rbacClusterRoleBinding)
}

func rbacRoleBinding(b *rbacv1.RoleBinding) {
	orDefault(&b.RoleRef.APIGroup, rbacv1.GroupName)
	rbacSubjects(b.Subjects)
}

func rbacClusterRoleBinding(b *rbacv1.ClusterRoleBinding) {
	orDefault(&b.RoleRef.APIGroup, rbacv1.GroupName)
	rbacSubjects(b.Subjects)
}

// rbacSubjects gives User and Group subjects without an apiGroup the RBAC group;
// ServiceAccounts live in the core group, whose name is "".
func rbacSubjects(subjects []rbacv1.Subject) {
	for i := range subjects {
		s := &subjects[i]
		if s.APIGroup != "" {
			continue
		}
		switch s.Kind {
		case rbacv1.UserKind, rbacv1.GroupKind:
			s.APIGroup = rbacv1.GroupName
		}
	}
}
