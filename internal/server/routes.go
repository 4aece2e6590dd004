package server

import (
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/endpoints/discovery"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

func versionHandler() http.Handler {
	body, _ := json.MarshalIndent(Version, "", "  ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// installDiscovery routes /api and /apis trees: resource requests go to the API,
// the rest to the discovery documents.
func (s *Server) installDiscovery(mux *http.ServeMux, resources []*registry.Resource) *discovery.Handler {
	addr := net.JoinHostPort(s.cfg.AdvertiseAddress.String(), strconv.Itoa(s.cfg.SecurePort))
	var subs []discovery.Subresource
	for _, r := range resources {
		for _, sub := range r.Subresources {
			subs = append(subs, discovery.Subresource{Parent: r.GroupVersionResource(), Name: sub.Name, Kind: sub.Kind, Verbs: sub.Verbs})
		}
	}
	disc := discovery.New(resources, func(*http.Request) string { return addr }, discovery.WithSubresources(subs...))
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info, ok := request.InfoFrom(r.Context()); ok && info.IsResourceRequest {
			gvr := schema.GroupVersionResource{Group: info.APIGroup, Version: info.APIVersion, Resource: info.Resource}
			if info.APIGroup != "" && s.api.Store(gvr) == nil && !disc.HasGroup(info.APIGroup) {
				// Nothing serves the group: upstream's last handler answers, in plain
				// text. (A custom resource is served before discovery lists its group.)
				http.NotFound(w, r)
				return
			}
			s.api.ServeHTTP(w, r)
			return
		}
		disc.ServeHTTP(w, r)
	})
	mux.Handle("/api", disc)
	mux.Handle("/apis", disc)
	mux.Handle("/api/", route)
	mux.Handle("/apis/", route)
	return disc
}

// listedPaths are the paths GET / lists, as upstream's index: fixed, the
// discovery paths of every group version served now (built-in, custom and
// aggregated), and each health endpoint with its checks.
type listedPaths struct {
	fixed  []string
	groups func() *metav1.APIGroupList
	health map[string][]healthCheck
}

// all returns the listed paths, sorted.
func (l listedPaths) all() []string {
	paths := slices.Clone(l.fixed)
	for _, g := range l.groups().Groups {
		paths = append(paths, "/apis/"+g.Name)
		for _, v := range g.Versions {
			paths = append(paths, "/apis/"+v.GroupVersion)
		}
	}
	for endpoint, checks := range l.health {
		paths = append(paths, "/"+endpoint)
		for _, c := range checks {
			paths = append(paths, "/"+endpoint+"/"+c.name)
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// ServeHTTP answers / and /index.html with the listed paths.
func (l listedPaths) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	body, _ := json.MarshalIndent(metav1.RootPaths{Paths: l.all()}, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
