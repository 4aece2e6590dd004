package server

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kapi-dev/kapi/internal/endpoints/discovery"
	"github.com/kapi-dev/kapi/internal/registry"
)

// localAPIServices describes one Local APIService per served group version, with the
// priorities kube-apiserver gives them. The aggregator's own group has none.
func localAPIServices(resources []*registry.Resource) []*apiregistrationv1.APIService {
	var out []*apiregistrationv1.APIService
	seen := map[schema.GroupVersion]bool{}
	for _, r := range resources {
		gv := r.GroupVersion
		if seen[gv] || gv.Group == apiregistrationv1.GroupName {
			continue
		}
		seen[gv] = true
		group, version := discovery.Priority(gv)
		out = append(out, &apiregistrationv1.APIService{
			ObjectMeta: metav1.ObjectMeta{Name: gv.Version + "." + gv.Group},
			Spec: apiregistrationv1.APIServiceSpec{Group: gv.Group, Version: gv.Version,
				GroupPriorityMinimum: int32(group), VersionPriority: int32(version)},
		})
	}
	return out
}
