package rbacpolicy

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Metadata every bootstrap object carries.
const (
	// BootstrappingLabel marks the objects of the default policy.
	BootstrappingLabel = "kubernetes.io/bootstrapping"
	bootstrappingValue = "rbac-defaults"
	// AutoUpdateAnnotation set to "false" on an object stops reconciliation of it.
	AutoUpdateAnnotation = rbacv1.AutoUpdateAnnotationKey

	aggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin"
	aggregateToEdit  = "rbac.authorization.k8s.io/aggregate-to-edit"
	aggregateToView  = "rbac.authorization.k8s.io/aggregate-to-view"

	// controllerPrefix names the roles of kube-controller-manager's controllers, each
	// bound to the kube-system service account named by the rest of the role name.
	controllerPrefix = "system:controller:"
)

// Policy is the set of RBAC objects kube-apiserver keeps at start. Namespaced objects
// carry their namespace.
type Policy struct {
	ClusterRoles        []rbacv1.ClusterRole
	ClusterRoleBindings []rbacv1.ClusterRoleBinding
	Roles               []rbacv1.Role
	RoleBindings        []rbacv1.RoleBinding
}

// Bootstrap returns the default policy, freshly built: callers may modify it.
func Bootstrap() *Policy {
	p := &Policy{
		ClusterRoles:        append(clusterRoles(), controllerRoles()...),
		ClusterRoleBindings: append(clusterRoleBindings(), controllerRoleBindings()...),
		Roles:               namespacedRoles(),
		RoleBindings:        namespacedRoleBindings(),
	}
	for i := range p.ClusterRoles {
		withDefaults(&p.ClusterRoles[i].ObjectMeta)
	}
	for i := range p.ClusterRoleBindings {
		withDefaults(&p.ClusterRoleBindings[i].ObjectMeta)
	}
	for i := range p.Roles {
		withDefaults(&p.Roles[i].ObjectMeta)
	}
	for i := range p.RoleBindings {
		withDefaults(&p.RoleBindings[i].ObjectMeta)
	}
	return p
}

// withDefaults adds the bootstrapping label and the autoupdate annotation.
func withDefaults(m *metav1.ObjectMeta) {
	if m.Labels == nil {
		m.Labels = map[string]string{}
	}
	m.Labels[BootstrappingLabel] = bootstrappingValue
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[AutoUpdateAnnotation] = "true"
}

// clusterRole is a ClusterRole named name granting rules.
func clusterRole(name string, rs ...rule) rbacv1.ClusterRole {
	return rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: policyRules(rs...)}
}

// labeled returns cr with an extra label (an aggregation label).
func labeled(cr rbacv1.ClusterRole, key string) rbacv1.ClusterRole {
	if cr.Labels == nil {
		cr.Labels = map[string]string{}
	}
	cr.Labels[key] = "true"
	return cr
}

// aggregated is a ClusterRole whose rules the aggregation controller gathers from the
// ClusterRoles labelled selectLabel=true.
func aggregated(name, selectLabel string) rbacv1.ClusterRole {
	return rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		AggregationRule: &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
			{MatchLabels: map[string]string{selectLabel: "true"}},
		}},
	}
}

// Subjects.
func group(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacGroup, Name: name}
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacGroup, Name: name}
}

func serviceAccount(namespace, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: namespace, Name: name}
}

// clusterBinding binds the ClusterRole of the same name to subjects.
func clusterBinding(name string, subjects ...rbacv1.Subject) rbacv1.ClusterRoleBinding {
	return rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacGroup, Kind: "ClusterRole", Name: name},
		Subjects:   subjects,
	}
}

// role is a Role in namespace granting rules.
func role(namespace, name string, rs ...rule) rbacv1.Role {
	return rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Rules: policyRules(rs...)}
}

// roleBinding binds the Role roleName of namespace to subjects under the name name.
func roleBinding(namespace, name, roleName string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
	return rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacGroup, Kind: "Role", Name: roleName},
		Subjects:   subjects,
	}
}
