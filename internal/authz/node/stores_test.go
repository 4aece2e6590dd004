package node_test

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/authz/node"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
	"github.com/kapi-dev/kapi/internal/storage/cacher"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// testStores are the registry stores the authorizer reads, built as the server builds
// them (etcd3 behind a watch cache) over a real embedded etcd.
type testStores struct {
	scheme *runtime.Scheme
	byName map[string]*registry.Store
}

var storeResources = []schema.GroupResource{
	{Resource: "pods"}, {Resource: "persistentvolumeclaims"}, {Resource: "persistentvolumes"},
	{Group: "storage.k8s.io", Resource: "volumeattachments"},
	{Group: "resource.k8s.io", Resource: "resourceslices"},
	{Group: "certificates.k8s.io", Resource: "podcertificaterequests"},
}

func startStores(t testing.TB) *testStores {
	t.Helper()
	client := etcdtest.Start(t)
	scheme := apis.NewScheme()
	codec := protobuf.NewSerializer(scheme, scheme)
	ts := &testStores{scheme: scheme, byName: map[string]*registry.Store{}}
	for _, res := range builtin.Resources(builtin.Deps{}) {
		gr := schema.GroupResource{Group: res.GroupVersion.Group, Resource: res.Name}
		if !containsGR(storeResources, gr) || res.GroupVersion != res.StorageKind.GroupVersion() {
			continue
		}
		newFunc := newFuncFor(t, scheme, res.StorageKind)
		newList := newFuncFor(t, scheme, res.StorageKind.GroupVersion().WithKind(res.StorageKind.Kind+"List"))
		prefix := "/registry/" + res.KeyPrefix + "/"
		valueCodec := runtime.Codec(codec)
		if !res.EncodeAs.Empty() {
			valueCodec = etcd3.NewVersionCodec(valueCodec, scheme, res.EncodeAs)
		}
		c, err := cacher.New(cacher.Config{
			Storage:        etcd3.New(client, valueCodec, res.StorageKind, newFunc, newList, prefix),
			ResourcePrefix: prefix, GroupVersionKind: res.StorageKind, NewFunc: newFunc, NewListFunc: newList,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Stop)
		ts.byName[gr.String()] = registry.NewStore(res, c, "/registry", newFunc, newList)
	}
	if len(ts.byName) != len(storeResources) {
		t.Fatalf("built %d stores, want %d", len(ts.byName), len(storeResources))
	}
	return ts
}

func containsGR(list []schema.GroupResource, gr schema.GroupResource) bool {
	for _, g := range list {
		if g == gr {
			return true
		}
	}
	return false
}

func newFuncFor(t testing.TB, scheme *runtime.Scheme, gvk schema.GroupVersionKind) func() runtime.Object {
	if _, err := scheme.New(gvk); err != nil {
		t.Fatalf("kind %s: %v", gvk, err)
	}
	return func() runtime.Object {
		obj, _ := scheme.New(gvk)
		return obj
	}
}

func (ts *testStores) store(gr string) *registry.Store { return ts.byName[gr] }

// sources is what the server hands the authorizer.
func (ts *testStores) sources() node.Sources {
	return node.Sources{
		Pods:                   ts.store("pods"),
		PersistentVolumeClaims: ts.store("persistentvolumeclaims"),
		PersistentVolumes:      ts.store("persistentvolumes"),
		VolumeAttachments:      ts.store("volumeattachments.storage.k8s.io"),
		ResourceSlices:         ts.store("resourceslices.resource.k8s.io"),
		PodCertificateRequests: ts.store("podcertificaterequests.certificates.k8s.io"),
	}
}

// create defaults obj as the API would and stores it.
func (ts *testStores) create(t testing.TB, gr string, obj runtime.Object) runtime.Object {
	t.Helper()
	ts.scheme.Default(obj)
	ns := ""
	if m, ok := obj.(metav1.Object); ok {
		ns = m.GetNamespace()
	}
	out, err := ts.store(gr).Create(context.Background(), ns, obj, nil, nil, false)
	if err != nil {
		t.Fatalf("create %s: %v", gr, err)
	}
	return out
}

// sync waits until every watch cache holds what etcd holds: a consistent list is
// served by the cache once it caught up.
func (ts *testStores) sync(t testing.TB) {
	t.Helper()
	for gr, s := range ts.byName {
		if _, err := s.List(context.Background(), "", &metav1.ListOptions{}); err != nil {
			t.Fatalf("sync %s: %v", gr, err)
		}
	}
}
