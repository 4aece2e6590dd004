package printers

import (
	"fmt"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	rbacv1beta1 "k8s.io/api/rbac/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Role prints NAME CREATED AT: upstream gives roles the default table.
func Role() *registry.Table { return Default() }

// ClusterRole prints NAME CREATED AT, as Role.
func ClusterRole() *registry.Table { return Default() }

// RoleBinding prints NAME ROLE AGE; wide adds USERS GROUPS SERVICEACCOUNTS.
func RoleBinding() *registry.Table { return roleBindingTable(time.Now) }

func roleBindingTable(now clock) *registry.Table {
	// Upstream still documents the Role column from the v1beta1 type.
	cols := rbacBindingColumns(rbacv1beta1.RoleBinding{}.SwaggerDoc()["roleRef"], "roleBinding")
	return typed("rolebindings", cols, func(b *rbacv1.RoleBinding) []any {
		return rbacBindingCells(now, b.ObjectMeta, b.RoleRef, b.Subjects)
	})
}

// ClusterRoleBinding prints NAME ROLE AGE; wide adds USERS GROUPS SERVICEACCOUNTS.
func ClusterRoleBinding() *registry.Table { return clusterRoleBindingTable(time.Now) }

func clusterRoleBindingTable(now clock) *registry.Table {
	cols := rbacBindingColumns(rbacv1beta1.ClusterRoleBinding{}.SwaggerDoc()["roleRef"], "clusterRoleBinding")
	return typed("clusterrolebindings", cols, func(b *rbacv1.ClusterRoleBinding) []any {
		return rbacBindingCells(now, b.ObjectMeta, b.RoleRef, b.Subjects)
	})
}

func rbacBindingColumns(roleDesc, what string) []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn(),
		column("Role", "string", roleDesc),
		ageColumn(),
		wide("Users", "string", "Users in the "+what),
		wide("Groups", "string", "Groups in the "+what),
		wide("ServiceAccounts", "string", "ServiceAccounts in the "+what),
	}
}

// rbacBindingCells renders the role as Kind/name and the subjects by kind, service
// accounts as namespace/name; subjects of other kinds are not shown.
func rbacBindingCells(now clock, meta metav1.ObjectMeta, ref rbacv1.RoleRef, subjects []rbacv1.Subject) []any {
	var users, groups, sas []string
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			users = append(users, s.Name)
		case rbacv1.GroupKind:
			groups = append(groups, s.Name)
		case rbacv1.ServiceAccountKind:
			sas = append(sas, s.Namespace+"/"+s.Name)
		}
	}
	return []any{
		meta.Name,
		fmt.Sprintf("%s/%s", ref.Kind, ref.Name),
		since(now, meta.CreationTimestamp),
		strings.Join(users, ", "), strings.Join(groups, ", "), strings.Join(sas, ", "),
	}
}
