package rbacpolicy

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// Signer names of the built-in certificate signers.
const (
	signerKubeAPIServerClient        = "kubernetes.io/kube-apiserver-client"
	signerKubeAPIServerClientKubelet = "kubernetes.io/kube-apiserver-client-kubelet"
	signerKubeletServing             = "kubernetes.io/kubelet-serving"
	signerLegacyUnknown              = "kubernetes.io/legacy-unknown"
	signerKubeAPIServerServing       = "kubernetes.io/kube-apiserver-serving"
)

// clusterRoles are the ClusterRoles other than the controllers', in upstream's order.
func clusterRoles() []rbacv1.ClusterRole {
	return []rbacv1.ClusterRole{
		clusterRole("cluster-admin",
			allow("*").in("*").on("*"),
			allow("*").at("*"),
		),
		// Enough to see whether the server is up and which APIs it serves.
		clusterRole("system:discovery",
			allow("get").at("/livez", "/readyz", "/healthz", "/version", "/version/",
				"/openapi", "/openapi/*", "/api", "/api/*", "/apis", "/apis/*"),
		),
		clusterRole("system:monitoring",
			// /flagz and /statusz: ComponentFlagz and ComponentStatusz are on by default.
			allow("get").at("/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz",
				"/livez/*", "/readyz/*", "/healthz/*", "/flagz", "/statusz"),
			allow("get").in(coreGroup).on("nodes/metrics"),
		),
		clusterRole("system:basic-user",
			allow("create").in(authorizationGroup).on("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
			allow("create").in(authenticationGroup).on("selfsubjectreviews"),
		),
		clusterRole("system:public-info-viewer",
			allow("get").at("/livez", "/readyz", "/healthz", "/version", "/version/"),
		),
		aggregated("admin", aggregateToAdmin),
		labeled(aggregated("edit", aggregateToEdit), aggregateToAdmin),
		labeled(aggregated("view", aggregateToView), aggregateToEdit),
		labeled(clusterRole("system:aggregate-to-admin",
			allow("create").in(authorizationGroup).on("localsubjectaccessreviews"),
			allow(readWrite...).in(rbacGroup).on("roles", "rolebindings"),
		), aggregateToAdmin),
		labeled(clusterRole("system:aggregate-to-edit", editRules()...), aggregateToEdit),
		labeled(clusterRole("system:aggregate-to-view", viewRules()...), aggregateToView),
		clusterRole("system:heapster",
			allow(read...).in(coreGroup).on("events", "pods", "nodes", "namespaces"),
			allow(read...).in(extensionsGroup).on("deployments"),
		),
		clusterRole("system:node", nodeRules()...),
		clusterRole("system:node-problem-detector",
			allow("get").in(coreGroup).on("nodes"),
			allow("patch").in(coreGroup).on("nodes/status"),
			eventsRule(),
		),
		clusterRole("system:node-bootstrapper",
			allow("create", "get", "list", "watch").in(certificatesGroup).on("certificatesigningrequests"),
		),
		clusterRole("system:auth-delegator",
			allow("create").in(authenticationGroup).on("tokenreviews"),
			allow("create").in(authorizationGroup).on("subjectaccessreviews"),
		),
		clusterRole("system:kube-aggregator",
			allow(read...).in(coreGroup).on("services", "endpoints"),
		),
		clusterRole("system:kube-controller-manager", controllerManagerRules()...),
		clusterRole("system:kube-dns",
			allow("list", "watch").in(coreGroup).on("endpoints", "services"),
		),
		clusterRole("system:persistent-volume-provisioner",
			allow("get", "list", "watch", "create", "delete").in(coreGroup).on("persistentvolumes"),
			allow("get", "list", "watch", "update").in(coreGroup).on("persistentvolumeclaims"),
			allow(read...).in(storageGroup).on("storageclasses"),
			allow("watch").in(coreGroup).on("events"),
			eventsRule(),
		),
		clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient",
			allow("create").in(certificatesGroup).on("certificatesigningrequests/nodeclient"),
		),
		clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
			allow("create").in(certificatesGroup).on("certificatesigningrequests/selfnodeclient"),
		),
		clusterRole("system:volume-scheduler",
			allow(readUpdate...).in(coreGroup).on("persistentvolumes"),
			allow(read...).in(storageGroup).on("storageclasses"),
			allow(readUpdate...).in(coreGroup).on("persistentvolumeclaims"),
		),
		approver("system:certificates.k8s.io:legacy-unknown-approver", signerLegacyUnknown),
		approver("system:certificates.k8s.io:kubelet-serving-approver", signerKubeletServing),
		approver("system:certificates.k8s.io:kube-apiserver-client-approver", signerKubeAPIServerClient),
		approver("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", signerKubeAPIServerClientKubelet),
		// The slash-ended URLs serve clients generated from the OpenAPI documents.
		clusterRole("system:service-account-issuer-discovery",
			allow("get").at("/.well-known/openid-configuration", "/.well-known/openid-configuration/",
				"/openid/v1/jwks", "/openid/v1/jwks/"),
		),
		clusterRole("system:kubelet-api-admin",
			allow("get", "list", "watch").in(coreGroup).on("nodes"),
			allow("proxy").in(coreGroup).on("nodes"),
			allow("*").in(coreGroup).on("nodes/proxy", "nodes/metrics", "nodes/stats", "nodes/log"),
			// KubeletFineGrainedAuthz is on by default.
			allow("*").in(coreGroup).on("nodes/pods", "nodes/healthz", "nodes/configz"),
		),
		clusterRole("system:node-proxier",
			allow("list", "watch").in(coreGroup).on("services", "endpoints"),
			allow("get", "list", "watch").in(coreGroup).on("nodes"),
			eventsRule(),
			allow("list", "watch").in(networkingGroup).on("servicecidrs"),
			allow("list", "watch").in(discoveryGroup).on("endpointslices"),
		),
		clusterRole("system:kube-scheduler", schedulerRules()...),
		clusterRole("system:cluster-trust-bundle-discovery",
			allow(read...).in(certificatesGroup).on("clustertrustbundles"),
		),
	}
}

// approver is a ClusterRole that lets the CSR approver approve requests for signer.
func approver(name, signer string) rbacv1.ClusterRole {
	return clusterRole(name, allow("approve").in(certificatesGroup).on("signers").named(signer))
}

// clusterRoleBindings are the ClusterRoleBindings other than the controllers'.
func clusterRoleBindings() []rbacv1.ClusterRoleBinding {
	authenticated, unauthenticated := group("system:authenticated"), group("system:unauthenticated")
	serviceAccounts := group("system:serviceaccounts")
	return []rbacv1.ClusterRoleBinding{
		clusterBinding("cluster-admin", group("system:masters")),
		clusterBinding("system:monitoring", group("system:monitoring")),
		clusterBinding("system:discovery", authenticated),
		clusterBinding("system:basic-user", authenticated),
		clusterBinding("system:public-info-viewer", authenticated, unauthenticated),
		clusterBinding("system:node-proxier", user("system:kube-proxy")),
		clusterBinding("system:kube-controller-manager", user("system:kube-controller-manager")),
		clusterBinding("system:kube-dns", serviceAccount("kube-system", "kube-dns")),
		clusterBinding("system:kube-scheduler", user("system:kube-scheduler")),
		clusterBinding("system:volume-scheduler", user("system:kube-scheduler")),
		// Kept without subjects since the Node authorizer replaced the system:nodes
		// grant, so that reconciliation never adds that subject back.
		clusterBinding("system:node"),
		clusterBinding("system:service-account-issuer-discovery", serviceAccounts),
		clusterBinding("system:cluster-trust-bundle-discovery", serviceAccounts),
	}
}
