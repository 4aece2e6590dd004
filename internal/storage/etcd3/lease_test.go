package etcd3

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/storage"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
	"github.com/kapi-dev/kapi/internal/storage/storagetest"
)

// TestLeasesReuse: writes within the reuse window share a lease, one that would
// outlive its time to live by more than the window, or the 1,001st, gets a new
// one, and a lease lives the time to live plus the window.
func TestLeasesReuse(t *testing.T) {
	client := etcdtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tests := []struct {
		name      string
		reuse     time.Duration // --lease-reuse-duration-seconds; 0 is the default minute
		ttl       time.Duration
		after     time.Duration // clock step before the second write
		writes    int           // writes before the last one
		wantSame  bool
		wantTTLOf int64 // seconds granted for ttl
	}{
		{"within the window", 0, time.Hour, 30 * time.Second, 1, true, 3660},
		{"window over", 0, time.Hour, 61 * time.Second, 1, false, 3660},
		{"short time to live, a twentieth as window", 0, 100 * time.Second, 4 * time.Second, 1, true, 105},
		{"short window over", 0, 100 * time.Second, 6 * time.Second, 1, false, 105},
		{"a thousand writes share one", 0, time.Hour, 0, 999, true, 3660},
		{"the next gets a new one", 0, time.Hour, 0, 1000, false, 3660},
		{"shorter reuse flag, within", 10 * time.Second, time.Hour, 9 * time.Second, 1, true, 3610},
		{"shorter reuse flag, over", 10 * time.Second, time.Hour, 11 * time.Second, 1, false, 3610},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(1_000_000, 0)
			m := NewLeases(client.Lease, tc.reuse)
			m.now = func() time.Time { return now }
			first, err := m.get(ctx, tc.ttl)
			if err != nil {
				t.Fatal(err)
			}
			ttl, err := client.TimeToLive(ctx, first)
			if err != nil {
				t.Fatal(err)
			}
			if ttl.GrantedTTL != tc.wantTTLOf {
				t.Errorf("granted %d s, want %d", ttl.GrantedTTL, tc.wantTTLOf)
			}
			for range tc.writes - 1 {
				if _, err := m.get(ctx, tc.ttl); err != nil {
					t.Fatal(err)
				}
			}
			now = now.Add(tc.after)
			last, err := m.get(ctx, tc.ttl)
			if err != nil {
				t.Fatal(err)
			}
			if same := last == first; same != tc.wantSame {
				t.Errorf("same lease %v, want %v", same, tc.wantSame)
			}
		})
	}
}

// TestStoreWithTTL: values written by a store with a time to live carry a lease
// (created and updated alike), and etcd deletes them once it runs out; a store
// without one writes plain values.
func TestStoreWithTTL(t *testing.T) {
	client := etcdtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	leases := NewLeases(client.Lease, 0)
	expiring := New(client, storagetest.Codec(), storagetest.GVK, storagetest.NewFunc, storagetest.NewListFunc, "/ttl/pods", WithTTL(2*time.Second, leases))
	plain := New(client, storagetest.Codec(), storagetest.GVK, storagetest.NewFunc, storagetest.NewListFunc, "/plain/pods", WithTTL(0, leases))

	lease := func(key string) clientv3.LeaseID {
		resp, err := client.Get(ctx, key)
		if err != nil || len(resp.Kvs) != 1 {
			t.Fatalf("get %s: %v %v", key, resp, err)
		}
		return clientv3.LeaseID(resp.Kvs[0].Lease)
	}
	pod := func(name string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}
	}
	if err := expiring.Create(ctx, "/ttl/pods/ns/a", pod("a"), &corev1.Pod{}); err != nil {
		t.Fatal(err)
	}
	if err := plain.Create(ctx, "/plain/pods/ns/a", pod("a"), &corev1.Pod{}); err != nil {
		t.Fatal(err)
	}
	if lease("/ttl/pods/ns/a") == 0 {
		t.Error("created value has no lease")
	}
	if id := lease("/plain/pods/ns/a"); id != 0 {
		t.Errorf("value of a store without a time to live has lease %x", id)
	}
	if err := expiring.GuaranteedUpdate(ctx, "/ttl/pods/ns/a", &corev1.Pod{}, false, nil, func(in runtime.Object) (runtime.Object, error) {
		p := in.(*corev1.Pod).DeepCopy()
		p.Labels = map[string]string{"updated": "yes"}
		return p, nil
	}); err != nil {
		t.Fatal(err)
	}
	if lease("/ttl/pods/ns/a") == 0 {
		t.Error("updated value has no lease")
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := expiring.Get(ctx, "/ttl/pods/ns/a", storage.GetOptions{}, &corev1.Pod{})
		if storage.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("value still there 15 s after its 2 s time to live: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := plain.Get(ctx, "/plain/pods/ns/a", storage.GetOptions{}, &corev1.Pod{}); err != nil {
		t.Errorf("value without a time to live: %v", err)
	}
}
