// Package rbacpolicy is kube-apiserver's bootstrap RBAC policy: the default
// ClusterRoles (cluster-admin, admin, edit, view, system:*), their ClusterRoleBindings,
// and the Roles and RoleBindings of kube-system and kube-public, computed in code with
// the rules upstream serves (feature gates at their v1.37 defaults).
//
// Reconcile writes the policy through the registry stores at start with upstream's
// reconciliation rules: missing objects are created, missing rules, subjects, labels
// and annotations are added to existing ones while what users added stays, bindings
// whose roleRef changed are recreated, and objects annotated
// rbac.authorization.kubernetes.io/autoupdate=false are left alone.
package rbacpolicy
