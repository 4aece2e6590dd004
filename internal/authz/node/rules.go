package node

import (
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kapi-dev/kapi/internal/authz/rbac"
	"github.com/kapi-dev/kapi/internal/request"
)

// rule builds a policy rule of one verb list, group list and resource list.
func rule(verbs, groups, resources []string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: groups, Resources: resources}
}

// NodeRules returns the rules of upstream's system:node ClusterRole for v1.37 with its
// default feature gates: what any node may do outside the resources the authorizer
// subdivides by relationship. Verbs and resources are sorted as the bootstrap role
// stores them.
func NodeRules() []rbacv1.PolicyRule {
	core := []string{""}
	return []rbacv1.PolicyRule{
		// Access checks the kubelet makes for its own API (non-mutating creates).
		rule([]string{"create"}, []string{"authentication.k8s.io"}, []string{"tokenreviews"}),
		rule([]string{"create"}, []string{"authorization.k8s.io"}, []string{"localsubjectaccessreviews", "subjectaccessreviews"}),
		// Service environment variables.
		rule([]string{"get", "list", "watch"}, core, []string{"services"}),
		// Registering and updating its Node; NodeRestriction limits it to its own.
		rule([]string{"create", "get", "list", "watch"}, core, []string{"nodes"}),
		rule([]string{"patch", "update"}, core, []string{"nodes/status"}),
		rule([]string{"patch", "update"}, core, []string{"nodes"}),
		rule([]string{"create", "patch", "update"}, []string{"", "events.k8s.io"}, []string{"events"}),
		// Pods: reads are narrowed by the authorizer, mirror pods by NodeRestriction.
		rule([]string{"get", "list", "watch"}, core, []string{"pods"}),
		rule([]string{"create", "delete"}, core, []string{"pods"}),
		rule([]string{"patch", "update"}, core, []string{"pods/status"}),
		rule([]string{"create"}, core, []string{"pods/eviction"}),
		// Volumes, env and image pull credentials; narrowed to its pods' references.
		rule([]string{"get", "list", "watch"}, core, []string{"configmaps", "secrets"}),
		rule([]string{"get"}, core, []string{"persistentvolumeclaims", "persistentvolumes"}),
		rule([]string{"get"}, core, []string{"endpoints"}),
		// Client certificate rotation.
		rule([]string{"create", "get", "list", "watch"}, []string{"certificates.k8s.io"}, []string{"certificatesigningrequests"}),
		rule([]string{"create", "delete", "get", "patch", "update"}, []string{"coordination.k8s.io"}, []string{"leases"}),
		rule([]string{"get"}, []string{"storage.k8s.io"}, []string{"volumeattachments"}),
		rule([]string{"create"}, core, []string{"serviceaccounts/token"}),
		rule([]string{"get", "patch", "update"}, core, []string{"persistentvolumeclaims/status"}),
		rule([]string{"get", "list", "watch"}, []string{"storage.k8s.io"}, []string{"csidrivers"}),
		rule([]string{"create", "delete", "get", "patch", "update"}, []string{"storage.k8s.io"}, []string{"csinodes"}),
		rule([]string{"get", "list", "watch"}, []string{"node.k8s.io"}, []string{"runtimeclasses"}),
		// Dynamic resource allocation.
		rule([]string{"get"}, []string{"resource.k8s.io"}, []string{"resourceclaims"}),
		rule([]string{"deletecollection"}, []string{"resource.k8s.io"}, []string{"resourceslices"}),
		// pemTrustAnchors volumes.
		rule([]string{"get", "list", "watch"}, []string{"certificates.k8s.io"}, []string{"clustertrustbundles"}),
		// Service account tokens for image credential providers.
		rule([]string{"get"}, core, []string{"serviceaccounts"}),
		// podCertificate volumes.
		rule([]string{"create", "get", "list", "watch"}, []string{"certificates.k8s.io"}, []string{"podcertificaterequests"}),
	}
}

// rulesAllow reports whether one of rules grants the request.
func rulesAllow(rules []rbacv1.PolicyRule, info *request.Info) bool {
	req := rbac.RequestFromInfo(info)
	for i := range rules {
		if rbac.RuleAllows(&rules[i], &req) {
			return true
		}
	}
	return false
}
