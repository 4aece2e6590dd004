package discovery

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/registry"
)

// referenceDir holds documents captured from kube-apiserver v1.37.
const referenceDir = "../../../../shared/reference/discovery"

const (
	kubectlAccept    = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
	aggregatedAccept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
	serverAddr       = "192.0.2.2:7443"
)

var (
	coreV1   = schema.GroupVersion{Version: "v1"}
	appsV1   = schema.GroupVersion{Group: "apps", Version: "v1"}
	eventsV1 = schema.GroupVersion{Group: "events.k8s.io", Version: "v1"}
	coordV1  = schema.GroupVersion{Group: "coordination.k8s.io", Version: "v1"}
)

// testResources registers a few resources of kube-apiserver the way kapi does.
func testResources() []*registry.Resource {
	return []*registry.Resource{
		{GroupVersion: coreV1, Name: "pods", SingularName: "pod", Kind: "Pod", ShortNames: []string{"po"},
			Categories: []string{"all"}, Namespaced: true, StorageKind: coreV1.WithKind("Pod"), Status: true},
		{GroupVersion: coreV1, Name: "namespaces", SingularName: "namespace", Kind: "Namespace", ShortNames: []string{"ns"},
			Verbs:       []string{"create", "delete", "get", "list", "patch", "update", "watch"},
			StorageKind: coreV1.WithKind("Namespace"), Status: true},
		{GroupVersion: coreV1, Name: "configmaps", SingularName: "configmap", Kind: "ConfigMap", ShortNames: []string{"cm"},
			Namespaced: true, StorageKind: coreV1.WithKind("ConfigMap")},
		{GroupVersion: coreV1, Name: "events", SingularName: "event", Kind: "Event", ShortNames: []string{"ev"},
			Namespaced: true, StorageKind: coreV1.WithKind("Event")},
		{GroupVersion: appsV1, Name: "deployments", SingularName: "deployment", Kind: "Deployment", ShortNames: []string{"deploy"},
			Categories: []string{"all"}, Namespaced: true, StorageKind: appsV1.WithKind("Deployment"), Status: true,
			Scale: &registry.Scale{}},
		{GroupVersion: eventsV1, Name: "events", SingularName: "event", Kind: "Event", ShortNames: []string{"ev"},
			Namespaced: true, StorageKind: coreV1.WithKind("Event")},
		{GroupVersion: coordV1, Name: "leases", SingularName: "lease", Kind: "Lease",
			Namespaced: true, StorageKind: coordV1.WithKind("Lease")},
	}
}

// testSubresources are subresources registry.Resource cannot express, including one
// answering with a kind of another group.
func testSubresources() []Subresource {
	pods := coreV1.WithResource("pods")
	return []Subresource{
		{Parent: coreV1.WithResource("namespaces"), Name: "finalize", Kind: coreV1.WithKind("Namespace"), Verbs: []string{"update"}},
		{Parent: pods, Name: "log", Kind: coreV1.WithKind("Pod"), Verbs: []string{"get"}},
		{Parent: pods, Name: "eviction", Kind: schema.GroupVersionKind{Group: "policy", Version: "v1", Kind: "Eviction"}, Verbs: []string{"create"}},
		{Parent: coreV1.WithResource("secrets"), Name: "orphan", Kind: coreV1.WithKind("Secret"), Verbs: []string{"get"}},
	}
}

func newTestHandler() *Handler {
	return New(testResources(), func(*http.Request) string { return serverAddr }, WithSubresources(testSubresources()...))
}

// registered are the resource names registered per group version, subresources included.
var registered = map[string][]string{
	"v1":                     {"configmaps", "events", "namespaces", "namespaces/finalize", "namespaces/status", "pods", "pods/eviction", "pods/log", "pods/status"},
	"apps/v1":                {"deployments", "deployments/scale", "deployments/status"},
	"events.k8s.io/v1":       {"events"},
	"coordination.k8s.io/v1": {"leases"},
}

func get(t *testing.T, h http.Handler, path, accept string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("decoding %q: %v", data, err)
	}
	return out
}

func readReference(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(referenceDir, name))
	if err != nil {
		t.Fatalf("reading reference: %v", err)
	}
	return decode(t, data)
}

// keep filters a list of JSON objects to those whose key is in names, in order.
func keep(list any, key string, names []string) []any {
	var out []any
	items, _ := list.([]any)
	for _, it := range items {
		if slices.Contains(names, it.(map[string]any)[key].(string)) {
			out = append(out, it)
		}
	}
	return out
}

func TestPlainDocumentsMatchReference(t *testing.T) {
	h := newTestHandler()
	tests := []struct {
		name, path, reference string
		// filter narrows the reference to what the test registered.
		filter func(doc map[string]any)
	}{
		{name: "api root", path: "/api", reference: "api.json"},
		{name: "core v1", path: "/api/v1", reference: "api_v1.json", filter: func(doc map[string]any) {
			doc["resources"] = keep(doc["resources"], "name", registered["v1"])
		}},
		{name: "apps v1", path: "/apis/apps/v1", reference: "apis_apps_v1.json", filter: func(doc map[string]any) {
			doc["resources"] = keep(doc["resources"], "name", registered["apps/v1"])
		}},
		{name: "events.k8s.io v1, stored as core v1 Event", path: "/apis/events.k8s.io/v1", reference: "apis_events_k8s_io_v1.json"},
		{name: "coordination v1", path: "/apis/coordination.k8s.io/v1/", reference: "apis_coordination_k8s_io_v1.json"},
		{name: "group list", path: "/apis", reference: "apis.json", filter: func(doc map[string]any) {
			doc["groups"] = keep(doc["groups"], "name", []string{"apps", "events.k8s.io", "coordination.k8s.io"})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.path, "")
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			want := readReference(t, tc.reference)
			if tc.filter != nil {
				tc.filter(want)
			}
			if diff := cmp.Diff(want, decode(t, rec.Body.Bytes())); diff != "" {
				t.Errorf("document differs from kube-apiserver's (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAggregatedMatchesReference(t *testing.T) {
	h := newTestHandler()
	// filterAggregated keeps the registered groups, resources and subresources.
	filterAggregated := func(doc map[string]any, groups map[string]string) {
		var items []any
		for _, it := range doc["items"].([]any) {
			group := it.(map[string]any)
			name, _ := group["metadata"].(map[string]any)["name"].(string)
			version, ok := groups[name]
			if !ok {
				continue
			}
			for _, v := range group["versions"].([]any) {
				ver := v.(map[string]any)
				gv := schema.GroupVersion{Group: name, Version: ver["version"].(string)}
				if gv.Version != version {
					continue
				}
				names := registered[gv.String()]
				ver["resources"] = keep(ver["resources"], "resource", names)
				for _, r := range ver["resources"].([]any) {
					res := r.(map[string]any)
					var subs []string
					for _, n := range names {
						if parent, sub, ok := cutSlash(n); ok && parent == res["resource"] {
							subs = append(subs, sub)
						}
					}
					if subs == nil {
						delete(res, "subresources")
						continue
					}
					res["subresources"] = keep(res["subresources"], "subresource", subs)
				}
			}
			items = append(items, group)
		}
		doc["items"] = items
	}
	tests := []struct {
		name, path, reference string
		groups                map[string]string
	}{
		{name: "legacy", path: "/api", reference: "aggregated_api.json", groups: map[string]string{"": "v1"}},
		{name: "groups", path: "/apis", reference: "aggregated_apis.json",
			groups: map[string]string{"apps": "v1", "events.k8s.io": "v1", "coordination.k8s.io": "v1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.path, kubectlAccept)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if ct, want := rec.Header().Get("Content-Type"), aggregatedAccept; ct != want {
				t.Errorf("Content-Type %q, want %q", ct, want)
			}
			want := readReference(t, tc.reference)
			filterAggregated(want, tc.groups)
			if diff := cmp.Diff(want, decode(t, rec.Body.Bytes())); diff != "" {
				t.Errorf("aggregated document differs from kube-apiserver's (-want +got):\n%s", diff)
			}
		})
	}
}

func cutSlash(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func TestStorageVersionHash(t *testing.T) {
	tests := []struct {
		name string
		gvk  schema.GroupVersionKind
		want string
	}{
		{name: "core pod", gvk: coreV1.WithKind("Pod"), want: "xPOwRZ+Yhw8="},
		{name: "apps deployment", gvk: appsV1.WithKind("Deployment"), want: "8aSe+NMegvE="},
		{name: "core event, also the hash of events.k8s.io events", gvk: coreV1.WithKind("Event"), want: "r2yiGXH7wu8="},
		{name: "coordination lease", gvk: coordV1.WithKind("Lease"), want: "gqkMMb/YqFM="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StorageVersionHash(tc.gvk); got != tc.want {
				t.Errorf("StorageVersionHash(%v) = %q, want %q", tc.gvk, got, tc.want)
			}
		})
	}
}

func TestOrder(t *testing.T) {
	gv := func(g, v string) schema.GroupVersion { return schema.GroupVersion{Group: g, Version: v} }
	res := func(gv schema.GroupVersion) *registry.Resource {
		return &registry.Resource{GroupVersion: gv, Name: "things", Kind: "Thing"}
	}
	tests := []struct {
		name      string
		resources []*registry.Resource
		// want lists each group with its versions, preferred first.
		want [][]string
	}{
		{
			name: "built-in groups by upstream priority, not by name or registration order",
			resources: []*registry.Resource{
				res(gv("coordination.k8s.io", "v1")), res(gv("batch", "v1")), res(gv("apps", "v1")),
				res(gv("events.k8s.io", "v1")), res(gv("apiextensions.k8s.io", "v1")),
				res(gv("admissionregistration.k8s.io", "v1")),
			},
			want: [][]string{{"apps", "v1"}, {"events.k8s.io", "v1"}, {"batch", "v1"},
				{"admissionregistration.k8s.io", "v1"}, {"apiextensions.k8s.io", "v1"}, {"coordination.k8s.io", "v1"}},
		},
		{
			name:      "autoscaling prefers v2 over v1",
			resources: []*registry.Resource{res(gv("autoscaling", "v1")), res(gv("autoscaling", "v2"))},
			want:      [][]string{{"autoscaling", "v2", "v1"}},
		},
		{
			name: "custom groups after built-ins, by name, versions kube-aware",
			resources: []*registry.Resource{
				res(gv("zoo.example.com", "v1beta1")), res(gv("zoo.example.com", "v2alpha1")),
				res(gv("zoo.example.com", "v1")), res(gv("aaa.io", "v1")), res(gv("node.k8s.io", "v1")),
			},
			want: [][]string{{"node.k8s.io", "v1"}, {"aaa.io", "v1"}, {"zoo.example.com", "v1", "v1beta1", "v2alpha1"}},
		},
		{
			name:      "unknown version of a built-in group ranks below its known ones",
			resources: []*registry.Resource{res(gv("apps", "v2")), res(gv("apps", "v1"))},
			want:      [][]string{{"apps", "v1", "v2"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list := New(tc.resources, nil).GroupList()
			var got [][]string
			for _, g := range list.Groups {
				row := []string{g.Name}
				for _, v := range g.Versions {
					row = append(row, v.Version)
				}
				if g.PreferredVersion != g.Versions[0] {
					t.Errorf("group %s prefers %v, not its first version", g.Name, g.PreferredVersion)
				}
				got = append(got, row)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAccessorsReturnCopies(t *testing.T) {
	h := newTestHandler()
	tests := []struct {
		name   string
		mutate func()
	}{
		{name: "resource list", mutate: func() {
			l, _ := h.ResourceList(appsV1)
			l.APIResources[0].Verbs[0] = "mutated"
		}},
		{name: "group list", mutate: func() { h.GroupList().Groups[0].Name = "mutated" }},
		{name: "group", mutate: func() {
			g, _ := h.Group("apps")
			g.Versions[0].Version = "mutated"
		}},
		{name: "aggregated", mutate: func() { h.Aggregated(false).Items[0].Versions[0].Version = "mutated" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := get(t, h, "/apis", aggregatedAccept).Body.String() + get(t, h, "/apis/apps/v1", "").Body.String()
			tc.mutate()
			after := get(t, h, "/apis", aggregatedAccept).Body.String() + get(t, h, "/apis/apps/v1", "").Body.String()
			if before != after {
				t.Errorf("mutating a returned document changed what is served")
			}
		})
	}
}
