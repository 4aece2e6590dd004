package rbacpolicy

import (
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// namespacedRoles are the Roles of kube-system and kube-public.
func namespacedRoles() []rbacv1.Role {
	leaderLocking := []rule{
		allow("get", "watch", "list", "create", "update").in(coordinationGroup).on("leases"),
		allow("get", "watch", "list", "create", "update").in(coordinationGroup).on("leasecandidates"),
	}
	system, public := metav1.NamespaceSystem, metav1.NamespacePublic
	return []rbacv1.Role{
		// How an extension API server learns the authentication configuration.
		role(system, "extension-apiserver-authentication-reader",
			allow("get", "list", "watch").in(coreGroup).on("configmaps").named("extension-apiserver-authentication"),
		),
		role(system, controllerPrefix+"bootstrap-signer",
			allow("get", "list", "watch").in(coreGroup).on("secrets"),
		),
		// Deprecated since 1.10, still created.
		role(system, controllerPrefix+"cloud-provider",
			allow("create", "get", "list", "watch").in(coreGroup).on("configmaps"),
		),
		role(system, controllerPrefix+"token-cleaner",
			allow("get", "list", "watch", "delete").in(coreGroup).on("secrets"),
			eventsRule(),
		),
		role(system, "system::leader-locking-kube-controller-manager", leaderLocking...),
		role(system, "system::leader-locking-kube-scheduler", leaderLocking...),
		// The bootstrap signer publishes cluster-info.
		role(public, controllerPrefix+"bootstrap-signer",
			allow("get", "list", "watch").in(coreGroup).on("configmaps"),
			allow("update").in(coreGroup).on("configmaps").named("cluster-info"),
			eventsRule(),
		),
	}
}

// namespacedRoleBindings are the RoleBindings of kube-system and kube-public.
func namespacedRoleBindings() []rbacv1.RoleBinding {
	system, public := metav1.NamespaceSystem, metav1.NamespacePublic
	kcm, scheduler := user("system:kube-controller-manager"), user("system:kube-scheduler")
	sa := func(name string) rbacv1.Subject { return serviceAccount(system, name) }
	same := func(ns, name string, subjects ...rbacv1.Subject) rbacv1.RoleBinding {
		return roleBinding(ns, name, name, subjects...)
	}
	return []rbacv1.RoleBinding{
		roleBinding(system, "system::extension-apiserver-authentication-reader", "extension-apiserver-authentication-reader", kcm, scheduler),
		same(system, "system::leader-locking-kube-controller-manager", kcm, sa("kube-controller-manager"), sa("leader-election-controller")),
		same(system, "system::leader-locking-kube-scheduler", scheduler, sa("kube-scheduler")),
		same(system, controllerPrefix+"bootstrap-signer", sa("bootstrap-signer")),
		same(system, controllerPrefix+"cloud-provider", sa("cloud-provider")),
		same(system, controllerPrefix+"token-cleaner", sa("token-cleaner")),
		same(public, controllerPrefix+"bootstrap-signer", sa("bootstrap-signer")),
	}
}
