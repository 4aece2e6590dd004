package rbacpolicy

// viewRules are system:aggregate-to-view's: read access to the non-escalating
// resources of a namespace, aggregated into view.
func viewRules() []rule {
	return []rule{
		allow(read...).in(coreGroup).on("pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"),
		allow(read...).in(coreGroup).on("limitranges", "resourcequotas", "bindings",
			"pods/status", "resourcequotas/status", "namespaces/status", "replicationcontrollers/status", "pods/log"),
		// At namespace scope: the namespace itself, which tells a user where they have access.
		allow(read...).in(coreGroup).on("namespaces"),
		allow(read...).in(coreGroup, eventsGroup).on("events"),
		allow(read...).in(discoveryGroup).on("endpointslices"),
		allow(read...).in(appsGroup).on("controllerrevisions",
			"statefulsets", "statefulsets/status", "statefulsets/scale",
			"daemonsets", "daemonsets/status",
			"deployments", "deployments/status", "deployments/scale",
			"replicasets", "replicasets/status", "replicasets/scale"),
		allow(read...).in(autoscalingGroup).on("horizontalpodautoscalers", "horizontalpodautoscalers/status"),
		allow(read...).in(batchGroup).on("jobs", "cronjobs", "cronjobs/status", "jobs/status"),
		allow(read...).in(extensionsGroup).on("daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
			"ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
			"networkpolicies"),
		allow(read...).in(policyGroup).on("poddisruptionbudgets", "poddisruptionbudgets/status"),
		allow(read...).in(networkingGroup).on("networkpolicies", "ingresses", "ingresses/status"),
		// DynamicResourceAllocation is on by default.
		allow(read...).in(resourceGroup).on("resourceclaims", "resourceclaims/status", "resourceclaimtemplates"),
	}
}

// editRules are system:aggregate-to-edit's: every user-level action in a namespace,
// but not the system's domain (status subresources, quota and limits).
func editRules() []rule {
	return []rule{
		// Read access to the resources that escalate.
		allow(read...).in(coreGroup).on("pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"),
		allow("impersonate").in(coreGroup).on("serviceaccounts"),
		allow(write...).in(coreGroup).on("pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
		allow("create").in(coreGroup).on("pods/eviction"),
		allow(write...).in(coreGroup).on("replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/proxy", "persistentvolumeclaims", "configmaps", "secrets"),
		allow("create").in(coreGroup).on("serviceaccounts/token"),
		allow(write...).in(coreGroup, eventsGroup).on("events"),
		allow(write...).in(appsGroup).on("statefulsets", "statefulsets/scale", "daemonsets",
			"deployments", "deployments/scale", "deployments/rollback", "replicasets", "replicasets/scale"),
		allow(write...).in(autoscalingGroup).on("horizontalpodautoscalers"),
		allow(write...).in(batchGroup).on("jobs", "cronjobs"),
		allow(write...).in(extensionsGroup).on("daemonsets", "deployments", "deployments/scale", "deployments/rollback",
			"ingresses", "replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"),
		allow(write...).in(policyGroup).on("poddisruptionbudgets"),
		allow(write...).in(networkingGroup).on("networkpolicies", "ingresses"),
		allow(readWrite...).in(coordinationGroup).on("leases"),
		// DynamicResourceAllocation is on by default.
		allow(write...).in(resourceGroup).on("resourceclaims", "resourceclaimtemplates"),
	}
}
