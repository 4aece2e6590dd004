package openapi

import (
	"net/http"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kapi-dev/kapi/internal/registry"
)

// allResources makes one resource for every kind in client-go's scheme that has a
// list kind: every built-in group version, the size of kube-apiserver's document.
func allResources(s *runtime.Scheme) []*registry.Resource {
	var out []*registry.Resource
	for gvk := range s.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal || strings.HasSuffix(gvk.Kind, "List") {
			continue
		}
		if !s.Recognizes(gvk.GroupVersion().WithKind(gvk.Kind + "List")) {
			continue
		}
		plural, singular := meta.UnsafeGuessKindToResource(gvk)
		out = append(out, &registry.Resource{
			GroupVersion: gvk.GroupVersion(), Name: plural.Resource, SingularName: singular.Resource,
			Kind: gvk.Kind, Namespaced: true, Status: true,
		})
	}
	return out
}

func TestAllResourcesBuild(t *testing.T) {
	res := allResources(scheme.Scheme)
	if len(res) < 100 {
		t.Fatalf("only %d resources", len(res))
	}
	doc := v2Doc(t, New(res, scheme.Scheme))
	if doc.lookup("paths", "/apis/rbac.authorization.k8s.io/v1/clusterroles") == nil &&
		doc.lookup("paths", "/apis/rbac.authorization.k8s.io/v1/namespaces/{namespace}/clusterroles") == nil {
		t.Error("rbac paths missing")
	}
}

// BenchmarkBuildV2Full measures building and serializing the v2 document of every
// built-in resource: the cost of the first /openapi/v2 request.
func BenchmarkBuildV2Full(b *testing.B) {
	res := allResources(scheme.Scheme)
	b.ReportAllocs()
	for b.Loop() {
		s := New(res, scheme.Scheme)
		if rec := serve(b, s.HandlerV2(), http.MethodGet, "/openapi/v2", nil); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}
