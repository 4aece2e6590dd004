package discovery

import (
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// priority is an APIService's GroupPriorityMinimum and VersionPriority: groups are
// listed by descending group priority, versions of a group by descending version
// priority, ties by name and by kube-aware version order.
type priority struct{ group, version int }

// builtinPriorities are kube-apiserver v1.37's priorities of its built-in group
// versions (the aggregator registers one APIService per group version with them).
// apiregistration.k8s.io is the aggregator's own group, which it lists first.
var builtinPriorities = map[schema.GroupVersion]priority{
	{Group: "", Version: "v1"}:                                   {18000, 1},
	{Group: "apiregistration.k8s.io", Version: "v1"}:             {18000, 15},
	{Group: "apps", Version: "v1"}:                               {17800, 15},
	{Group: "events.k8s.io", Version: "v1"}:                      {17750, 15},
	{Group: "events.k8s.io", Version: "v1beta1"}:                 {17750, 5},
	{Group: "authentication.k8s.io", Version: "v1"}:              {17700, 15},
	{Group: "authentication.k8s.io", Version: "v1beta1"}:         {17700, 9},
	{Group: "authentication.k8s.io", Version: "v1alpha1"}:        {17700, 1},
	{Group: "authorization.k8s.io", Version: "v1"}:               {17600, 15},
	{Group: "autoscaling", Version: "v2"}:                        {17500, 30},
	{Group: "autoscaling", Version: "v1"}:                        {17500, 15},
	{Group: "autoscaling", Version: "v2beta1"}:                   {17500, 9},
	{Group: "autoscaling", Version: "v2beta2"}:                   {17500, 1},
	{Group: "batch", Version: "v1"}:                              {17400, 15},
	{Group: "batch", Version: "v1beta1"}:                         {17400, 9},
	{Group: "batch", Version: "v2alpha1"}:                        {17400, 9},
	{Group: "certificates.k8s.io", Version: "v1"}:                {17300, 15},
	{Group: "certificates.k8s.io", Version: "v1beta1"}:           {17300, 9},
	{Group: "certificates.k8s.io", Version: "v1alpha1"}:          {17300, 1},
	{Group: "networking.k8s.io", Version: "v1"}:                  {17200, 15},
	{Group: "networking.k8s.io", Version: "v1beta1"}:             {17200, 9},
	{Group: "policy", Version: "v1"}:                             {17100, 15},
	{Group: "policy", Version: "v1beta1"}:                        {17100, 9},
	{Group: "rbac.authorization.k8s.io", Version: "v1"}:          {17000, 15},
	{Group: "storage.k8s.io", Version: "v1"}:                     {16800, 15},
	{Group: "storage.k8s.io", Version: "v1beta1"}:                {16800, 9},
	{Group: "storage.k8s.io", Version: "v1alpha1"}:               {16800, 1},
	{Group: "admissionregistration.k8s.io", Version: "v1"}:       {16700, 15},
	{Group: "admissionregistration.k8s.io", Version: "v1beta1"}:  {16700, 12},
	{Group: "admissionregistration.k8s.io", Version: "v1alpha1"}: {16700, 9},
	{Group: "apiextensions.k8s.io", Version: "v1"}:               {16700, 15},
	{Group: "scheduling.k8s.io", Version: "v1"}:                  {16600, 15},
	{Group: "scheduling.k8s.io", Version: "v1beta1"}:             {16600, 9},
	{Group: "scheduling.k8s.io", Version: "v1alpha3"}:            {16600, 3},
	{Group: "coordination.k8s.io", Version: "v1"}:                {16500, 15},
	{Group: "coordination.k8s.io", Version: "v1beta1"}:           {16500, 13},
	{Group: "coordination.k8s.io", Version: "v1alpha2"}:          {16500, 12},
	{Group: "node.k8s.io", Version: "v1"}:                        {16300, 15},
	{Group: "node.k8s.io", Version: "v1beta1"}:                   {16300, 9},
	{Group: "node.k8s.io", Version: "v1alpha1"}:                  {16300, 1},
	{Group: "discovery.k8s.io", Version: "v1"}:                   {16200, 15},
	{Group: "discovery.k8s.io", Version: "v1beta1"}:              {16200, 12},
	{Group: "resource.k8s.io", Version: "v1"}:                    {16200, 21},
	{Group: "resource.k8s.io", Version: "v1beta2"}:               {16200, 15},
	{Group: "resource.k8s.io", Version: "v1beta1"}:               {16200, 9},
	{Group: "resource.k8s.io", Version: "v1alpha3"}:              {16200, 1},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1"}:       {16100, 21},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta3"}:  {16100, 18},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta2"}:  {16100, 15},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta1"}:  {16100, 12},
	{Group: "flowcontrol.apiserver.k8s.io", Version: "v1alpha1"}: {16100, 9},
	{Group: "internal.apiserver.k8s.io", Version: "v1alpha1"}:    {16000, 9},
	{Group: "storagemigration.k8s.io", Version: "v1"}:            {15800, 15},
	{Group: "storagemigration.k8s.io", Version: "v1beta1"}:       {15800, 9},
	{Group: "lifecycle.k8s.io", Version: "v1alpha1"}:             {15700, 1},
}

// Priorities upstream gives group versions it does not know: custom resources are
// registered with these, and so sort after every built-in group.
const (
	unknownGroupPriority   = 1000
	unknownVersionPriority = 100
)

// Priority returns the APIService group and version priority kube-apiserver gives gv:
// its built-in value, or the one it gives custom resources. A version missing from the
// table of a built-in group ranks below that group's known versions.
func Priority(gv schema.GroupVersion) (group, version int) {
	if p, ok := builtinPriorities[gv]; ok {
		return p.group, p.version
	}
	best := -1
	for k, p := range builtinPriorities {
		if k.Group == gv.Group && p.group > best {
			best = p.group
		}
	}
	if best >= 0 {
		return best, 0
	}
	return unknownGroupPriority, unknownVersionPriority
}

// priorityFunc gives a group version's group and version priority.
type priorityFunc func(schema.GroupVersion) (group, version int)

// sortVersions orders the versions of one group, preferred first.
func sortVersions(group string, versions []string, prio priorityFunc) {
	sort.SliceStable(versions, func(i, j int) bool {
		_, pi := prio(schema.GroupVersion{Group: group, Version: versions[i]})
		_, pj := prio(schema.GroupVersion{Group: group, Version: versions[j]})
		if pi != pj {
			return pi > pj
		}
		return version.CompareKubeAwareVersionStrings(versions[i], versions[j]) > 0
	})
}

// groupPriority is the priority a group sorts by: its best version's group priority.
func groupPriority(group string, versions []string, prio priorityFunc) int {
	best := -1
	for _, v := range versions {
		if p, _ := prio(schema.GroupVersion{Group: group, Version: v}); p > best {
			best = p
		}
	}
	return best
}

// sortGroups orders group names as /apis lists them.
func sortGroups(groups []string, versions map[string][]string, prio priorityFunc) {
	sort.SliceStable(groups, func(i, j int) bool {
		pi, pj := groupPriority(groups[i], versions[groups[i]], prio), groupPriority(groups[j], versions[groups[j]], prio)
		if pi != pj {
			return pi > pj
		}
		return groups[i] < groups[j]
	})
}
