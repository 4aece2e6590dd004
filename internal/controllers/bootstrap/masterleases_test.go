package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// endpointStores serves endpoints and endpointslices from etcd under prefix, so that
// cases sharing one etcd do not see each other.
func endpointStores(t *testing.T, client *clientv3.Client, prefix string) StoreFor {
	t.Helper()
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
		if gvr != endpointsGVR && gvr != sliceGVR {
			continue
		}
		newFunc := newFor(res.StorageKind)
		newList := newFor(res.StorageKind.GroupVersion().WithKind(res.StorageKind.Kind + "List"))
		st := etcd3.New(client, codec, res.StorageKind, newFunc, newList, prefix+"/"+res.KeyPrefix+"/")
		stores[gvr] = registry.NewStore(res, st, prefix, newFunc, newList)
	}
	if len(stores) != 2 {
		t.Fatalf("found %d of the 2 stores", len(stores))
	}
	return func(gvr schema.GroupVersionResource) *registry.Store { return stores[gvr] }
}

// published returns the addresses of the kubernetes Endpoints and EndpointSlice, and
// the Endpoints' resourceVersion; a missing Endpoints is nil addresses.
func published(t *testing.T, ctx context.Context, stores StoreFor) (eps, slice []string, rv string) {
	t.Helper()
	obj, err := stores(endpointsGVR).Get(ctx, metav1.NamespaceDefault, "kubernetes", &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil, ""
	}
	if err != nil {
		t.Fatal(err)
	}
	ep := obj.(*corev1.Endpoints)
	eps = []string{}
	for _, s := range ep.Subsets {
		for _, a := range s.Addresses {
			eps = append(eps, a.IP)
		}
		if len(s.Ports) != 1 || s.Ports[0].Port != 6443 || s.Ports[0].Name != "https" {
			t.Errorf("endpoints ports = %+v, want https/6443", s.Ports)
		}
	}
	if ep.Labels[discoveryv1.LabelSkipMirror] != "true" {
		t.Errorf("endpoints labels = %v, want the skip-mirror label", ep.Labels)
	}
	obj, err = stores(sliceGVR).Get(ctx, metav1.NamespaceDefault, "kubernetes", &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	slice = []string{}
	for _, e := range obj.(*discoveryv1.EndpointSlice).Endpoints {
		slice = append(slice, e.Addresses...)
	}
	return eps, slice, ep.ResourceVersion
}

// TestLeaseEndpointReconciler runs several instances' reconcilers over one etcd: the
// kubernetes Service lists exactly the instances holding a live master lease.
func TestLeaseEndpointReconciler(t *testing.T) {
	client := etcdtest.Start(t)
	ctx := context.Background()
	const ttl = 2 * time.Second

	type step struct {
		do   string // "reconcile", "remove" (graceful) or "expire" (wait for leases to lapse)
		ip   string
		want []string // the published addresses after the step; nil: no Endpoints object
		// sameRV: the step must not rewrite the Endpoints.
		sameRV bool
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"two instances both appear, sorted", []step{
			{do: "reconcile", ip: "10.1.0.9", want: []string{"10.1.0.9"}},
			{do: "reconcile", ip: "10.1.0.10", want: []string{"10.1.0.10", "10.1.0.9"}},
			{do: "reconcile", ip: "10.1.0.9", want: []string{"10.1.0.10", "10.1.0.9"}},
		}},
		{"an unchanged set is not rewritten", []step{
			{do: "reconcile", ip: "10.2.0.1", want: []string{"10.2.0.1"}},
			{do: "reconcile", ip: "10.2.0.2", want: []string{"10.2.0.1", "10.2.0.2"}},
			{do: "reconcile", ip: "10.2.0.1", want: []string{"10.2.0.1", "10.2.0.2"}, sameRV: true},
			{do: "reconcile", ip: "10.2.0.2", want: []string{"10.2.0.1", "10.2.0.2"}, sameRV: true},
		}},
		{"graceful removal drops the address at once", []step{
			{do: "reconcile", ip: "10.3.0.1", want: []string{"10.3.0.1"}},
			{do: "reconcile", ip: "10.3.0.2", want: []string{"10.3.0.1", "10.3.0.2"}},
			{do: "remove", ip: "10.3.0.2", want: []string{"10.3.0.1"}},
			{do: "reconcile", ip: "10.3.0.2", want: []string{"10.3.0.1"}, sameRV: true}, // stopped stays out
		}},
		{"a crashed instance goes when its lease expires", []step{
			{do: "reconcile", ip: "10.4.0.1", want: []string{"10.4.0.1"}},
			{do: "reconcile", ip: "10.4.0.2", want: []string{"10.4.0.1", "10.4.0.2"}},
			{do: "expire", ip: "10.4.0.1", want: []string{"10.4.0.1"}},
		}},
		{"the last instance to stop leaves no addresses", []step{
			{do: "reconcile", ip: "10.5.0.1", want: []string{"10.5.0.1"}},
			{do: "remove", ip: "10.5.0.1", want: []string{}},
		}},
		{"a loopback advertise address publishes nothing", []step{
			{do: "reconcile", ip: "127.0.0.2", want: nil},
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prefix := fmt.Sprintf("/case%d", i)
			stores := endpointStores(t, client, prefix)
			instances := map[string]*Controller{}
			instance := func(ip string) *Controller {
				if c, ok := instances[ip]; ok {
					return c
				}
				c := New(Config{Stores: stores, AdvertiseAddress: net.ParseIP(ip), SecurePort: 6443, Hostname: ip,
					Etcd: client, EtcdPrefix: prefix, EndpointLeaseTTL: ttl})
				instances[ip] = c
				return c
			}
			lastRV := ""
			for _, s := range tc.steps {
				switch s.do {
				case "reconcile":
					if err := instance(s.ip).reconcileEndpoints(ctx); err != nil {
						t.Fatalf("reconcile %s: %v", s.ip, err)
					}
				case "remove":
					if err := instance(s.ip).RemoveEndpoints(ctx); err != nil {
						t.Fatalf("remove %s: %v", s.ip, err)
					}
				case "expire":
					// Only s.ip keeps refreshing; the others' leases must lapse.
					deadline := time.Now().Add(4 * ttl)
					for {
						if err := instance(s.ip).reconcileEndpoints(ctx); err != nil {
							t.Fatal(err)
						}
						if eps, _, _ := published(t, ctx, stores); slices.Equal(eps, s.want) || time.Now().After(deadline) {
							break
						}
						time.Sleep(200 * time.Millisecond)
					}
				}
				eps, slice, rv := published(t, ctx, stores)
				if !slices.Equal(eps, s.want) || !slices.Equal(slice, s.want) || (eps == nil) != (s.want == nil) {
					t.Fatalf("after %s %s: endpoints %q, slice %q; want %q", s.do, s.ip, eps, slice, s.want)
				}
				if s.sameRV && rv != lastRV {
					t.Errorf("after %s %s: endpoints rewritten (resourceVersion %s → %s) with an unchanged set", s.do, s.ip, lastRV, rv)
				}
				lastRV = rv
			}
		})
	}
}

// TestMasterLeaseValue checks the lease key and value upstream's reconciler writes:
// <prefix>/masterleases/<ip> holding a protobuf v1 Endpoints with the address, on an
// etcd lease of the configured TTL.
func TestMasterLeaseValue(t *testing.T) {
	client := etcdtest.Start(t)
	ctx := context.Background()
	stores := endpointStores(t, client, "/registry")
	c := New(Config{Stores: stores, AdvertiseAddress: net.ParseIP("192.0.2.7"), SecurePort: 6443, Etcd: client})
	if err := c.reconcileEndpoints(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err := client.Get(ctx, "/registry/masterleases/192.0.2.7")
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("get lease key: %v, %d keys", err, len(resp.Kvs))
	}
	kv := resp.Kvs[0]
	if string(kv.Value[:4]) != "k8s\x00" {
		t.Errorf("value starts %q, want the Kubernetes protobuf prefix", kv.Value[:4])
	}
	ttl, err := client.TimeToLive(ctx, clientv3.LeaseID(kv.Lease))
	if err != nil || ttl.GrantedTTL != int64(DefaultEndpointLeaseTTL/time.Second) {
		t.Errorf("lease %x: granted TTL %v (err %v), want %v", kv.Lease, ttl.GrantedTTL, err, DefaultEndpointLeaseTTL)
	}
	// A refresh keeps the key's revision: only the lease is kept alive.
	if err := c.reconcileEndpoints(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := client.Get(ctx, "/registry/masterleases/192.0.2.7")
	if err != nil || len(again.Kvs) != 1 || again.Kvs[0].ModRevision != kv.ModRevision {
		t.Errorf("refresh rewrote the key: %v (err %v)", again.Kvs, err)
	}
}

// TestRemoveEndpointsCutsShortAReconcile: the shutdown's removal neither waits for a
// reconcile stuck on an unreachable etcd nor outlives its own context; the stuck
// reconcile ends as the removal starts.
func TestRemoveEndpointsCutsShortAReconcile(t *testing.T) {
	dead, err := clientv3.New(clientv3.Config{Endpoints: []string{"127.0.0.1:1"}, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dead.Close() })
	c := New(Config{Stores: endpointStores(t, dead, "/registry"), AdvertiseAddress: net.ParseIP("192.0.2.7"), SecurePort: 6443,
		Etcd: dead, EndpointInterval: time.Hour})
	reconciled := make(chan error, 1)
	go func() { reconciled <- c.reconcileEndpoints(context.Background()) }()
	// Wait until the reconcile holds the lock (it then waits on etcd for good).
	for deadline := time.Now().Add(5 * time.Second); len(c.ep.lock) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the reconcile never took the lock")
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	if err := c.RemoveEndpoints(ctx); err == nil {
		t.Error("RemoveEndpoints succeeded without etcd")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("RemoveEndpoints took %v with a 1s context", took)
	}
	select {
	case err := <-reconciled:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the stuck reconcile ended with %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stuck reconcile went on after the removal started")
	}
	if err := c.reconcileEndpoints(context.Background()); err != nil {
		t.Errorf("a reconcile after the removal: %v, want a no-op", err)
	}
}
