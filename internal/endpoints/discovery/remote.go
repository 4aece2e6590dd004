package discovery

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Remote is a group version an extension API server serves behind the aggregator
// (a non-Local APIService). /apis and /apis/<group> list it by its APIService
// priorities; aggregated discovery lists its resources. Its own /apis/<group>/<version>
// document is the extension server's, which the aggregator proxies.
type Remote struct {
	GroupVersion schema.GroupVersion
	// GroupPriority and VersionPriority are the APIService's groupPriorityMinimum
	// and versionPriority.
	GroupPriority, VersionPriority int
	// Resources is what the extension server answered for its group version; nil
	// until that succeeded, which aggregated discovery shows as a stale version.
	Resources *metav1.APIResourceList
}

// SetRemote replaces the remote group versions, for when APIServices change or an
// extension server's resources were fetched.
func (h *Handler) SetRemote(remote []Remote) {
	h.inputs.Lock()
	defer h.inputs.Unlock()
	h.remote = slices.Clone(remote)
	h.docs.Store(build(h.resources, h.extra, h.remote))
}

// addRemote adds the remote group versions a local resource does not already serve
// to versions and groups, and returns the resource lists aggregated discovery
// converts (local lists plus the remote ones; nil for a remote not fetched) and the
// priorities to sort by: the APIServices' for remote versions, kube-apiserver's
// otherwise.
func addRemote(remote []Remote, local map[schema.GroupVersion]*metav1.APIResourceList,
	versions map[string][]string, groups *[]string) (map[schema.GroupVersion]*metav1.APIResourceList, priorityFunc) {
	if len(remote) == 0 {
		return local, Priority
	}
	lists := make(map[schema.GroupVersion]*metav1.APIResourceList, len(local)+len(remote))
	for gv, l := range local {
		lists[gv] = l
	}
	prios := map[schema.GroupVersion]priority{}
	for _, r := range remote {
		gv := r.GroupVersion
		if gv.Group == "" || gv.Version == "" {
			continue
		}
		if _, served := local[gv]; served {
			continue
		}
		if _, dup := prios[gv]; dup {
			continue
		}
		prios[gv] = priority{group: r.GroupPriority, version: r.VersionPriority}
		if _, ok := versions[gv.Group]; !ok {
			*groups = append(*groups, gv.Group)
		}
		versions[gv.Group] = append(versions[gv.Group], gv.Version)
		var list *metav1.APIResourceList
		if r.Resources != nil {
			list = r.Resources.DeepCopy()
			slices.SortStableFunc(list.APIResources, func(a, b metav1.APIResource) int {
				switch {
				case a.Name < b.Name:
					return -1
				case a.Name > b.Name:
					return 1
				}
				return 0
			})
		}
		lists[gv] = list
	}
	prio := func(gv schema.GroupVersion) (int, int) {
		if p, ok := prios[gv]; ok {
			return p.group, p.version
		}
		return Priority(gv)
	}
	return lists, prio
}
