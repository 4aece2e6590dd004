package discovery

import (
	"encoding/json"
	"slices"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestSetRemote(t *testing.T) {
	wardle := schema.GroupVersion{Group: "wardle.example.com", Version: "v1alpha1"}
	wardleBeta := schema.GroupVersion{Group: "wardle.example.com", Version: "v1beta1"}
	metrics := schema.GroupVersion{Group: "metrics.k8s.io", Version: "v1beta1"}
	flunders := &metav1.APIResourceList{GroupVersion: wardle.String(), APIResources: []metav1.APIResource{
		{Name: "flunders/status", Kind: "Flunder", Namespaced: true, Verbs: []string{"get"}},
		{Name: "flunders", SingularName: "flunder", Kind: "Flunder", Namespaced: true, Verbs: []string{"get", "list"}},
	}}
	cases := []struct {
		name   string
		remote []Remote
		// wantGroups is /apis in order; wantVersions the versions of wardle.example.com.
		wantGroups   []string
		wantVersions []string
		// wantFresh is the aggregated freshness of each wardle version.
		wantFresh    map[string]apidiscoveryv2.DiscoveryFreshness
		wantFlunders bool
	}{
		{name: "none", wantGroups: []string{"apps", "events.k8s.io", "coordination.k8s.io"}},
		{name: "fetched remote sorts by its priorities",
			remote:       []Remote{{GroupVersion: wardle, GroupPriority: 17900, VersionPriority: 15, Resources: flunders}},
			wantGroups:   []string{"wardle.example.com", "apps", "events.k8s.io", "coordination.k8s.io"},
			wantVersions: []string{"v1alpha1"},
			wantFresh:    map[string]apidiscoveryv2.DiscoveryFreshness{"v1alpha1": apidiscoveryv2.DiscoveryFreshnessCurrent},
			wantFlunders: true},
		{name: "versions by version priority, unfetched ones stale",
			remote: []Remote{
				{GroupVersion: wardle, GroupPriority: 1000, VersionPriority: 15, Resources: flunders},
				{GroupVersion: wardleBeta, GroupPriority: 1000, VersionPriority: 20},
				{GroupVersion: metrics, GroupPriority: 100, VersionPriority: 100},
			},
			wantGroups:   []string{"apps", "events.k8s.io", "coordination.k8s.io", "wardle.example.com", "metrics.k8s.io"},
			wantVersions: []string{"v1beta1", "v1alpha1"},
			wantFresh: map[string]apidiscoveryv2.DiscoveryFreshness{
				"v1beta1": apidiscoveryv2.DiscoveryFreshnessStale, "v1alpha1": apidiscoveryv2.DiscoveryFreshnessCurrent},
			wantFlunders: true},
		{name: "a locally served version is not taken over",
			remote:     []Remote{{GroupVersion: schema.GroupVersion{Group: "apps", Version: "v1"}, GroupPriority: 1, VersionPriority: 1}},
			wantGroups: []string{"apps", "events.k8s.io", "coordination.k8s.io"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newTestHandler()
			h.SetRemote(tc.remote)
			var groups []string
			for _, g := range h.GroupList().Groups {
				groups = append(groups, g.Name)
			}
			if !slices.Equal(groups, tc.wantGroups) {
				t.Errorf("/apis groups %v, want %v", groups, tc.wantGroups)
			}
			if tc.wantVersions != nil {
				g, ok := h.Group("wardle.example.com")
				if !ok {
					t.Fatal("/apis/wardle.example.com is not served")
				}
				var versions []string
				for _, v := range g.Versions {
					versions = append(versions, v.Version)
				}
				if !slices.Equal(versions, tc.wantVersions) || g.PreferredVersion.Version != tc.wantVersions[0] {
					t.Errorf("versions %v preferred %s, want %v", versions, g.PreferredVersion.Version, tc.wantVersions)
				}
			}
			if _, ok := h.ResourceList(wardle); ok {
				t.Error("a remote group version's document must be left to the extension server")
			}
			rec := get(t, h, "/apis", aggregatedAccept)
			var list apidiscoveryv2.APIGroupDiscoveryList
			if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
				t.Fatal(err)
			}
			sawFlunders := false
			for _, g := range list.Items {
				if g.Name != "wardle.example.com" {
					continue
				}
				for _, v := range g.Versions {
					if want := tc.wantFresh[v.Version]; v.Freshness != want {
						t.Errorf("%s freshness %q, want %q", v.Version, v.Freshness, want)
					}
					for _, r := range v.Resources {
						if r.Resource == "flunders" {
							sawFlunders = len(r.Subresources) == 1 && r.Subresources[0].Subresource == "status"
						}
					}
				}
			}
			if sawFlunders != tc.wantFlunders {
				t.Errorf("aggregated flunders with status: %v, want %v", sawFlunders, tc.wantFlunders)
			}
		})
	}
}
