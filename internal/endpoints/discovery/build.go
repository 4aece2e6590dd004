package discovery

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Subresource describes a subresource that registry.Resource cannot express (pods/log,
// pods/exec, namespaces/finalize, ...) so that discovery lists it like upstream.
type Subresource struct {
	// Parent is the served resource the subresource belongs to.
	Parent schema.GroupVersionResource
	// Name is the subresource name without the parent: "log", "exec", "finalize".
	Name string
	// Kind is the kind the subresource answers with. A Kind in the parent's group
	// version (or with empty Group and Version) is listed without group and version.
	Kind schema.GroupVersionKind
	// Verbs are listed as given.
	Verbs []string
}

// subresourceVerbs are the verbs of the status and scale subresources.
var subresourceVerbs = []string{"get", "patch", "update"}

// scaleKind is the kind every scale subresource answers with.
var scaleKind = schema.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}

// StorageVersionHash is the storageVersionHash of a resource stored as gvk: clients
// (the storage version migrator) compare it to notice a storage version change.
func StorageVersionHash(gvk schema.GroupVersionKind) string {
	sum := sha256.Sum256([]byte(gvk.Group + "/" + gvk.Version + "/" + gvk.Kind))
	return base64.StdEncoding.EncodeToString(sum[:8])
}

// snapshot holds every document for one set of resources. It is never mutated after
// build; accessors hand out deep copies.
type snapshot struct {
	// coreVersions are the versions of the legacy group for /api, preferred first.
	coreVersions []string
	// groups are the named groups in /apis order.
	groups []metav1.APIGroup
	// lists are the APIResourceLists of every served group version.
	lists map[schema.GroupVersion]*metav1.APIResourceList
	// aggregated are the apidiscovery documents of /api (legacy) and /apis.
	legacy, apis aggregatedDoc
}

// aggregatedDoc is one aggregated discovery document and its ETag.
type aggregatedDoc struct {
	list *apidiscoveryv2.APIGroupDiscoveryList
	etag string
}

// build computes the documents. A resource registered twice for the same group
// version keeps its first registration, as does a subresource.
func build(resources []*registry.Resource, extra []Subresource, remote []Remote) *snapshot {
	entries := map[schema.GroupVersion][]metav1.APIResource{}
	seen := map[string]bool{}
	add := func(gv schema.GroupVersion, ar metav1.APIResource) {
		key := gv.String() + "|" + ar.Name
		if seen[key] {
			return
		}
		seen[key] = true
		entries[gv] = append(entries[gv], ar)
	}
	served := map[schema.GroupVersionResource]*registry.Resource{}
	for _, r := range resources {
		if r == nil || r.Name == "" {
			continue
		}
		gvr := r.GroupVersionResource()
		if _, dup := served[gvr]; dup {
			continue
		}
		served[gvr] = r
		verbs := r.Verbs
		if verbs == nil {
			verbs = registry.DefaultVerbs
		}
		main := metav1.APIResource{
			Name:         r.Name,
			SingularName: r.SingularName,
			Namespaced:   r.Namespaced,
			Kind:         r.Kind,
			Verbs:        slices.Clone(verbs),
			ShortNames:   slices.Clone(r.ShortNames),
			Categories:   slices.Clone(r.Categories),
		}
		if !r.EncodeAs.Empty() {
			main.StorageVersionHash = StorageVersionHash(r.EncodeAs)
		} else if r.StorageKind.Kind != "" {
			main.StorageVersionHash = StorageVersionHash(r.StorageKind)
		}
		add(r.GroupVersion, main)
		if r.Status {
			add(r.GroupVersion, subresource(r, "status", r.GroupVersionKind(), subresourceVerbs))
		}
		if r.Scale != nil {
			add(r.GroupVersion, subresource(r, "scale", scaleKind, subresourceVerbs))
		}
	}
	for _, s := range extra {
		r, ok := served[s.Parent]
		if !ok || s.Name == "" {
			continue
		}
		add(r.GroupVersion, subresource(r, s.Name, s.Kind, s.Verbs))
	}

	snap := &snapshot{lists: map[schema.GroupVersion]*metav1.APIResourceList{}}
	versions := map[string][]string{}
	var groups []string
	for gv, list := range entries {
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
		snap.lists[gv] = &metav1.APIResourceList{GroupVersion: gv.String(), APIResources: list}
		if _, ok := versions[gv.Group]; !ok && gv.Group != "" {
			groups = append(groups, gv.Group)
		}
		versions[gv.Group] = append(versions[gv.Group], gv.Version)
	}
	// Remote group versions are listed, never served here: the aggregator proxies them.
	aggregatedLists, prio := addRemote(remote, snap.lists, versions, &groups)
	for g := range versions {
		sortVersions(g, versions[g], prio)
	}
	sortGroups(groups, versions, prio)
	snap.coreVersions = versions[""]
	if snap.coreVersions == nil {
		snap.coreVersions = []string{}
	}
	for _, g := range groups {
		group := metav1.APIGroup{Name: g}
		for _, v := range versions[g] {
			group.Versions = append(group.Versions, metav1.GroupVersionForDiscovery{
				GroupVersion: schema.GroupVersion{Group: g, Version: v}.String(),
				Version:      v,
			})
		}
		group.PreferredVersion = group.Versions[0]
		snap.groups = append(snap.groups, group)
	}

	legacy := []apidiscoveryv2.APIGroupDiscovery{groupDiscovery("", snap.coreVersions, aggregatedLists)}
	if len(snap.coreVersions) == 0 {
		legacy = []apidiscoveryv2.APIGroupDiscovery{}
	}
	snap.legacy = newAggregatedDoc(legacy)
	apis := []apidiscoveryv2.APIGroupDiscovery{}
	for _, g := range groups {
		apis = append(apis, groupDiscovery(g, versions[g], aggregatedLists))
	}
	snap.apis = newAggregatedDoc(apis)
	return snap
}

// subresource is the APIResource entry "<parent>/<name>". Upstream lists the kind's
// group and version only when they differ from the parent's.
func subresource(parent *registry.Resource, name string, kind schema.GroupVersionKind, verbs []string) metav1.APIResource {
	ar := metav1.APIResource{
		Name:       parent.Name + "/" + name,
		Namespaced: parent.Namespaced,
		Kind:       kind.Kind,
		Verbs:      slices.Clone(verbs),
	}
	if ar.Verbs == nil {
		ar.Verbs = []string{}
	}
	if kind.GroupVersion() != parent.GroupVersion && !kind.GroupVersion().Empty() {
		ar.Group, ar.Version = kind.Group, kind.Version
	}
	return ar
}

// groupDiscovery converts the resource lists of one group to its apidiscovery entry:
// subresources nest under their resource, versions come preferred first.
func groupDiscovery(group string, versions []string, lists map[schema.GroupVersion]*metav1.APIResourceList) apidiscoveryv2.APIGroupDiscovery {
	out := apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: group}}
	for _, v := range versions {
		list := lists[schema.GroupVersion{Group: group, Version: v}]
		ver := apidiscoveryv2.APIVersionDiscovery{Version: v, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent}
		if list == nil {
			// A remote version whose resources could not be fetched: listed, stale.
			ver.Freshness = apidiscoveryv2.DiscoveryFreshnessStale
			out.Versions = append(out.Versions, ver)
			continue
		}
		index := map[string]int{}
		// Lists are sorted by name, so a parent precedes its "parent/sub" entries.
		for _, ar := range list.APIResources {
			parent, sub, isSub := strings.Cut(ar.Name, "/")
			kind := &metav1.GroupVersionKind{Group: ar.Group, Version: ar.Version, Kind: ar.Kind}
			if !isSub {
				scope := apidiscoveryv2.ScopeCluster
				if ar.Namespaced {
					scope = apidiscoveryv2.ScopeNamespace
				}
				index[parent] = len(ver.Resources)
				ver.Resources = append(ver.Resources, apidiscoveryv2.APIResourceDiscovery{
					Resource:         ar.Name,
					ResponseKind:     kind,
					Scope:            scope,
					SingularResource: ar.SingularName,
					Verbs:            slices.Clone(ar.Verbs),
					ShortNames:       slices.Clone(ar.ShortNames),
					Categories:       slices.Clone(ar.Categories),
				})
				continue
			}
			i, ok := index[parent]
			if !ok {
				continue
			}
			ver.Resources[i].Subresources = append(ver.Resources[i].Subresources, apidiscoveryv2.APISubresourceDiscovery{
				Subresource:  sub,
				ResponseKind: kind,
				Verbs:        slices.Clone(ar.Verbs),
			})
		}
		out.Versions = append(out.Versions, ver)
	}
	return out
}

// newAggregatedDoc wraps items in a list and computes its ETag the way upstream does
// (SHA-512 of the JSON form of the items without type meta, upper-case hex), so a
// client's cached copy stays valid across servers that serve the same resources.
// An empty ETag (never expected) disables caching rather than failing discovery.
func newAggregatedDoc(items []apidiscoveryv2.APIGroupDiscovery) aggregatedDoc {
	var etag string
	if data, err := json.Marshal(apidiscoveryv2.APIGroupDiscoveryList{Items: items}); err == nil {
		etag = fmt.Sprintf("%X", sha512.Sum512(data))
	}
	list := &apidiscoveryv2.APIGroupDiscoveryList{
		TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: apidiscoveryv2.SchemeGroupVersion.String()},
		Items:    items,
	}
	return aggregatedDoc{list: list, etag: etag}
}
