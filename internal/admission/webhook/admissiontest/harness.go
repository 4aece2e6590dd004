// Package admissiontest serves kapi's resource endpoints over real HTTP and a real
// embedded etcd with an admission chain a test builds, so that the webhook and
// policy plugins are tested on the real write path before the server wires them.
package admissiontest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/filters"
	"github.com/kapi-dev/kapi/internal/openapi"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
	"github.com/kapi-dev/kapi/internal/request"
	"github.com/kapi-dev/kapi/internal/storage/cacher"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// Env is a running API with stores and a client.
type Env struct {
	Scheme    *runtime.Scheme
	Resources []*registry.Resource
	Stores    map[schema.GroupVersionResource]*registry.Store
	Client    kubernetes.Interface
	Config    *rest.Config
	// User is who every request is made as.
	User *request.User
	// Annotations receives each request's audit annotations when it ends.
	Annotations chan map[string]string
}

// Store returns the store of gvr; it fails the test when not served.
func (e *Env) Store(t testing.TB, gvr schema.GroupVersionResource) *registry.Store {
	t.Helper()
	st := e.Stores[gvr]
	if st == nil {
		t.Fatalf("%s not served", gvr)
	}
	return st
}

// Start builds the stores and serves them; chain builds the admission chain from
// the environment (the stores are ready, the API not yet serving).
func Start(t testing.TB, chain func(ctx context.Context, e *Env) endpoints.Admission) *Env {
	t.Helper()
	client := etcdtest.Start(t)
	scheme := apis.NewScheme()
	codec := protobuf.NewSerializer(scheme, scheme)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &Env{Scheme: scheme, Stores: map[schema.GroupVersionResource]*registry.Store{},
		User:        &request.User{Name: "admin", Groups: []string{"system:masters", "system:authenticated"}},
		Annotations: make(chan map[string]string, 100)}
	e.Resources = builtin.Resources(builtin.Deps{})
	shared := map[string]*cacher.Cacher{}
	var stores []*registry.Store
	for _, res := range e.Resources {
		newFunc := newFuncFor(scheme, res.StorageKind)
		newList := newFuncFor(scheme, res.StorageKind.GroupVersion().WithKind(res.StorageKind.Kind+"List"))
		if newFunc == nil || newList == nil {
			continue
		}
		if res.KeyPrefix == "" {
			st := registry.NewStore(res, nil, "/registry", newFunc, newList)
			stores = append(stores, st)
			e.Stores[res.GroupVersionResource()] = st
			continue
		}
		prefix := "/registry/" + res.KeyPrefix + "/"
		c, ok := shared[prefix]
		if !ok {
			valueCodec := runtime.Codec(codec)
			if !res.EncodeAs.Empty() {
				valueCodec = etcd3.NewVersionCodec(valueCodec, scheme, res.EncodeAs)
			}
			var err error
			c, err = cacher.New(cacher.Config{
				Storage:        etcd3.New(client, valueCodec, res.StorageKind, newFunc, newList, prefix),
				ResourcePrefix: prefix, GroupVersionKind: res.StorageKind, NewFunc: newFunc, NewListFunc: newList,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Stop)
			shared[prefix] = c
		}
		st := registry.NewStore(res, c, "/registry", newFunc, newList)
		stores = append(stores, st)
		e.Stores[res.GroupVersionResource()] = st
	}
	var adm endpoints.Admission
	if chain != nil {
		adm = chain(ctx, e)
	}
	// Server-side apply needs the type converter, built from kapi's own OpenAPI as
	// the server builds it.
	types := sync.OnceValues(func() (managedfields.TypeConverter, error) {
		defs, err := openapi.New(e.Resources, scheme).Definitions()
		if err != nil {
			return nil, err
		}
		return managedfields.NewTypeConverter(defs, false)
	})
	api := endpoints.New(scheme, stores, adm, types)
	t.Cleanup(func() { api.StopWatches(0) })
	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := request.WithAuditAnnotations(request.WithUser(r.Context(), e.User))
		api.ServeHTTP(w, r.WithContext(ctx))
		select {
		case e.Annotations <- request.AuditAnnotationsFrom(ctx):
		default:
		}
	})
	handler = filters.WithRequestInfo(handler)
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	e.Config = &rest.Config{Host: srv.URL, QPS: -1}
	cs, err := kubernetes.NewForConfig(e.Config)
	if err != nil {
		t.Fatal(err)
	}
	e.Client = cs
	return e
}

func newFuncFor(scheme *runtime.Scheme, gvk schema.GroupVersionKind) func() runtime.Object {
	if _, err := scheme.New(gvk); err != nil {
		return nil
	}
	return func() runtime.Object {
		obj, _ := scheme.New(gvk)
		return obj
	}
}
