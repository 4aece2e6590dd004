package rbacpolicy

// nodeRules are system:node's: what a kubelet needs. The Node authorizer and the
// NodeRestriction admission plugin narrow most of them to the node's own objects.
func nodeRules() []rule {
	return []rule{
		// Access checks; these creates change nothing.
		allow("create").in(authenticationGroup).on("tokenreviews"),
		allow("create").in(authorizationGroup).on("subjectaccessreviews", "localsubjectaccessreviews"),
		// Service environment variables of pods.
		allow(read...).in(coreGroup).on("services"),
		// Registering the Node object and reporting its status.
		allow("create", "get", "list", "watch").in(coreGroup).on("nodes"),
		allow("update", "patch").in(coreGroup).on("nodes/status"),
		allow("update", "patch").in(coreGroup).on("nodes"),
		allow("create", "update", "patch").in(coreGroup, eventsGroup).on("events"),
		allow(read...).in(coreGroup).on("pods"),
		// Mirror pods, pod status and evictions.
		allow("create", "delete").in(coreGroup).on("pods"),
		allow("update", "patch").in(coreGroup).on("pods/status"),
		allow("create").in(coreGroup).on("pods/eviction"),
		// Volumes and environment from secrets and configmaps.
		allow("get", "list", "watch").in(coreGroup).on("secrets", "configmaps"),
		allow("get").in(coreGroup).on("persistentvolumeclaims", "persistentvolumes"),
		allow("get").in(coreGroup).on("endpoints"),
		// Client certificate rotation.
		allow("create", "get", "list", "watch").in(certificatesGroup).on("certificatesigningrequests"),
		allow("get", "create", "update", "patch", "delete").in(coordinationGroup).on("leases"),
		allow("get").in(storageGroup).on("volumeattachments"),
		allow("create").in(coreGroup).on("serviceaccounts/token"),
		allow("get", "update", "patch").in(coreGroup).on("persistentvolumeclaims/status"),
		allow("get", "watch", "list").in(storageGroup).on("csidrivers"),
		allow("get", "create", "update", "patch", "delete").in(storageGroup).on("csinodes"),
		allow("get", "list", "watch").in(nodeGroup).on("runtimeclasses"),
		// DynamicResourceAllocation is on by default.
		allow("get").in(resourceGroup).on("resourceclaims"),
		allow("deletecollection").in(resourceGroup).on("resourceslices"),
		// ClusterTrustBundle: pemTrustAnchors volumes.
		allow("get", "list", "watch").in(certificatesGroup).on("clustertrustbundles"),
		// KubeletServiceAccountTokenForCredentialProviders.
		allow("get").in(coreGroup).on("serviceaccounts"),
		// PodCertificateRequest: podCertificate volumes.
		allow("get", "list", "watch", "create").in(certificatesGroup).on("podcertificaterequests"),
	}
}

// controllerManagerRules are system:kube-controller-manager's: enough to start the
// shared informers and create the per-controller service accounts.
func controllerManagerRules() []rule {
	return []rule{
		eventsRule(),
		// Leader election.
		allow("create").in(coordinationGroup).on("leases"),
		allow("get", "update").in(coordinationGroup).on("leases").named("kube-controller-manager"),
		allow("create").in(coreGroup).on("secrets", "serviceaccounts"),
		allow("delete").in(coreGroup).on("secrets"),
		allow("get").in(coreGroup).on("namespaces", "secrets", "serviceaccounts", "configmaps"),
		allow("update").in(coreGroup).on("secrets", "serviceaccounts"),
		allow("create").in(authenticationGroup).on("tokenreviews"),
		allow("create").in(authorizationGroup).on("subjectaccessreviews"),
		// Every shared informer.
		allow("list", "watch").in("*").on("*"),
		allow("create").in(coreGroup).on("serviceaccounts/token"),
	}
}

// schedulerRules are system:kube-scheduler's.
func schedulerRules() []rule {
	return []rule{
		eventsRule(),
		// Leader election.
		allow("create").in(coordinationGroup).on("leases"),
		allow("get", "update", "list", "watch").in(coordinationGroup).on("leases").named("kube-scheduler"),
		allow(readWrite...).in(coordinationGroup).on("leasecandidates"),
		allow(read...).in(coreGroup).on("nodes"),
		allow("get", "list", "watch", "delete").in(coreGroup).on("pods"),
		allow("create").in(coreGroup).on("pods/binding", "bindings"),
		allow("patch", "update").in(coreGroup).on("pods/status"),
		// What selects pods.
		allow(read...).in(coreGroup).on("services", "replicationcontrollers"),
		allow(read...).in(appsGroup, extensionsGroup).on("replicasets"),
		allow(read...).in(appsGroup).on("statefulsets"),
		// What pods use or what applies to them.
		allow(read...).in(policyGroup).on("poddisruptionbudgets"),
		allow(read...).in(coreGroup).on("persistentvolumeclaims", "persistentvolumes"),
		allow("create").in(authenticationGroup).on("tokenreviews"),
		allow("create").in(authorizationGroup).on("subjectaccessreviews"),
		allow(read...).in(storageGroup).on("csinodes"),
		allow("get", "list", "watch").in(storageGroup).on("volumeattachments"),
		// namespaceSelector of pod affinity.
		allow(read...).in(coreGroup).on("namespaces"),
		allow(read...).in(storageGroup).on("csidrivers"),
		allow(read...).in(storageGroup).on("csistoragecapacities"),
		// DynamicResourceAllocation and its default-on DRAExtendedResource,
		// DRADeviceTaintRules and DRAResourceClaimGranularStatusAuthorization.
		allow(read...).in(resourceGroup).on("deviceclasses"),
		allow(readUpdate...).in(resourceGroup).on("resourceclaims"),
		allow(readUpdate...).in(resourceGroup).on("resourceclaims/status"),
		allow("update").in(coreGroup).on("pods/finalizers"),
		allow(read...).in(resourceGroup).on("resourceslices"),
		allow("create", "delete").in(resourceGroup).on("resourceclaims"),
		allow(read...).in(resourceGroup).on("devicetaintrules"),
		allow("update", "patch").in(resourceGroup).on("resourceclaims/binding"),
	}
}
