package rbacpolicy_test

import (
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/controllers/rbacpolicy"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
)

// storesOver returns the registry stores of the resources the policy writes, over
// etcd directly, with the server's keys and encoding.
func storesOver(t *testing.T, client *clientv3.Client) rbacpolicy.StoreFor {
	t.Helper()
	wanted := map[schema.GroupVersionResource]bool{
		rbacv1.SchemeGroupVersion.WithResource("clusterroles"):        true,
		rbacv1.SchemeGroupVersion.WithResource("clusterrolebindings"): true,
		rbacv1.SchemeGroupVersion.WithResource("roles"):               true,
		rbacv1.SchemeGroupVersion.WithResource("rolebindings"):        true,
		corev1.SchemeGroupVersion.WithResource("namespaces"):          true,
	}
	scheme := apis.NewScheme()
	codec := protobuf.NewSerializer(scheme, scheme)
	newFor := func(gvk schema.GroupVersionKind) func() runtime.Object {
		return func() runtime.Object {
			obj, err := scheme.New(gvk)
			if err != nil {
				t.Errorf("kind %s: %v", gvk, err)
			}
			return obj
		}
	}
	stores := map[schema.GroupVersionResource]*registry.Store{}
	for _, res := range builtin.Resources(builtin.Deps{}) {
		gvr := res.GroupVersionResource()
		if !wanted[gvr] {
			continue
		}
		newFunc := newFor(res.StorageKind)
		newList := newFor(res.StorageKind.GroupVersion().WithKind(res.StorageKind.Kind + "List"))
		st := etcd3.New(client, codec, res.StorageKind, newFunc, newList, "/registry/"+res.KeyPrefix+"/")
		stores[gvr] = registry.NewStore(res, st, "/registry", newFunc, newList)
	}
	if len(stores) != len(wanted) {
		t.Fatalf("found %d of the %d stores", len(stores), len(wanted))
	}
	return func(gvr schema.GroupVersionResource) *registry.Store { return stores[gvr] }
}
