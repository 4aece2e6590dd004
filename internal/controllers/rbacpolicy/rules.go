package rbacpolicy

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
)

// API groups the policy names.
const (
	coreGroup                  = ""
	admissionRegistrationGroup = "admissionregistration.k8s.io"
	apiextensionsGroup         = "apiextensions.k8s.io"
	appsGroup                  = "apps"
	authenticationGroup        = "authentication.k8s.io"
	authorizationGroup         = "authorization.k8s.io"
	autoscalingGroup           = "autoscaling"
	batchGroup                 = "batch"
	certificatesGroup          = "certificates.k8s.io"
	coordinationGroup          = "coordination.k8s.io"
	customMetricsGroup         = "custom.metrics.k8s.io"
	discoveryGroup             = "discovery.k8s.io"
	eventsGroup                = "events.k8s.io"
	extensionsGroup            = "extensions"
	externalMetricsGroup       = "external.metrics.k8s.io"
	metricsGroup               = "metrics.k8s.io"
	networkingGroup            = "networking.k8s.io"
	nodeGroup                  = "node.k8s.io"
	policyGroup                = "policy"
	rbacGroup                  = rbacv1.GroupName
	resourceGroup              = "resource.k8s.io"
	storageGroup               = "storage.k8s.io"
	storageMigrationGroup      = "storagemigration.k8s.io"
)

// Verb sets upstream's policy is written with.
var (
	read       = []string{"get", "list", "watch"}
	write      = []string{"create", "update", "patch", "delete", "deletecollection"}
	readWrite  = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	readUpdate = []string{"get", "list", "watch", "update", "patch"}
)

// rule is a PolicyRule under construction: allow(verbs).in(groups).on(resources), or
// allow(verbs).at(urls) for non-resource URLs. Every list is kept sorted and free of
// duplicates, the form upstream stores.
type rule rbacv1.PolicyRule

// allow starts a rule granting verbs.
func allow(verbs ...string) rule { return rule{Verbs: sortedSet(nil, verbs)} }

// in adds API groups.
func (r rule) in(groups ...string) rule {
	r.APIGroups = sortedSet(r.APIGroups, groups)
	return r
}

// on adds resources (resource/subresource).
func (r rule) on(resources ...string) rule {
	r.Resources = sortedSet(r.Resources, resources)
	return r
}

// named restricts the rule to objects of these names.
func (r rule) named(names ...string) rule {
	r.ResourceNames = sortedSet(r.ResourceNames, names)
	return r
}

// at adds non-resource URLs.
func (r rule) at(urls ...string) rule {
	r.NonResourceURLs = sortedSet(r.NonResourceURLs, urls)
	return r
}

// sortedSet returns the sorted union of a and b in a new slice.
func sortedSet(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// policyRules turns built rules into API rules.
func policyRules(rs ...rule) []rbacv1.PolicyRule {
	out := make([]rbacv1.PolicyRule, len(rs))
	for i, r := range rs {
		out[i] = rbacv1.PolicyRule(r)
	}
	return out
}

// eventsRule lets a component record events in both event APIs.
func eventsRule() rule {
	return allow("create", "update", "patch").in(coreGroup, eventsGroup).on("events")
}
