package portalloc

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

const key = "/registry/ranges/servicenodeports"

func newAllocator(t *testing.T, rng Range) (*Allocator, *clientv3.Client) {
	t.Helper()
	client := etcdtest.Start(t)
	scheme := apis.NewScheme()
	gvk := corev1.SchemeGroupVersion.WithKind("RangeAllocation")
	st := etcd3.New(client, protobuf.NewSerializer(scheme, scheme), gvk,
		func() runtime.Object { return &corev1.RangeAllocation{} },
		func() runtime.Object { return &metav1.List{} }, "/registry/ranges/")
	return New(st, key, rng), client
}

func TestConcurrentAllocationsAreDistinct(t *testing.T) {
	a, _ := newAllocator(t, Range{Base: 30000, Size: 40})
	ctx := context.Background()
	var mu sync.Mutex
	got := map[int]bool{}
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			port, err := a.AllocateNext(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if got[port] {
				t.Errorf("port %d handed out twice", port)
			}
			got[port] = true
		}()
	}
	wg.Wait()
	if len(got) != 40 {
		t.Fatalf("allocated %d distinct ports, want 40", len(got))
	}
	if _, err := a.AllocateNext(ctx); !errors.Is(err, ErrFull) {
		t.Fatalf("allocation from a full range: %v, want %v", err, ErrFull)
	}
}

func TestAllocateSpecificAndRelease(t *testing.T) {
	a, _ := newAllocator(t, DefaultRange)
	ctx := context.Background()
	if err := a.Allocate(ctx, 30100); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		port    int
		wantErr string
	}{
		{name: "free port", port: 30101},
		{name: "taken port", port: 30100, wantErr: "provided port is already allocated"},
		{name: "below the range", port: 80, wantErr: "provided port is not in the valid range. The range of valid ports is 30000-32767"},
		{name: "above the range", port: 32768, wantErr: "provided port is not in the valid range. The range of valid ports is 30000-32767"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkErr := a.Check(ctx, tc.port, nil)
			err := a.Allocate(ctx, tc.port)
			for _, e := range []error{checkErr, err} {
				if (e == nil) != (tc.wantErr == "") || (e != nil && e.Error() != tc.wantErr) {
					t.Errorf("err = %v, want %q", e, tc.wantErr)
				}
			}
		})
	}
	if err := a.Release(ctx, 30100, 30101, 80); err != nil {
		t.Fatal(err)
	}
	for _, port := range []int{30100, 30101} {
		if has, err := a.Has(ctx, port); err != nil || has {
			t.Errorf("port %d still taken after release (%v)", port, err)
		}
	}
}

func TestDynamicAllocationAvoidsStaticBand(t *testing.T) {
	a, _ := newAllocator(t, DefaultRange) // band: 2768/32 = 86 ports
	ctx := context.Background()
	for range 50 {
		port, err := a.AllocateNext(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if port < 30086 {
			t.Fatalf("dynamic allocation took %d from the static band", port)
		}
	}
}

func TestPeekTakesNothing(t *testing.T) {
	a, client := newAllocator(t, Range{Base: 30000, Size: 3})
	ctx := context.Background()
	pending := map[int]bool{}
	for range 3 {
		port, err := a.Peek(ctx, pending)
		if err != nil {
			t.Fatal(err)
		}
		pending[port] = true
	}
	if _, err := a.Peek(ctx, pending); !errors.Is(err, ErrFull) {
		t.Fatalf("peek past the pending ports: %v, want %v", err, ErrFull)
	}
	resp, err := client.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 0 {
		t.Fatalf("peek wrote %q", resp.Kvs[0].Value)
	}
}

func TestRangeMismatchIsRefused(t *testing.T) {
	a, _ := newAllocator(t, DefaultRange)
	ctx := context.Background()
	if err := a.Allocate(ctx, 30005); err != nil {
		t.Fatal(err)
	}
	other := New(a.store, key, Range{Base: 31000, Size: 100})
	if _, err := other.AllocateNext(ctx); err == nil {
		t.Fatal("an allocator of another range wrote into the stored bitmap")
	}
}

// TestStoredBytesMatchUpstream compares the raw etcd value with kube-apiserver's
// encoding, written out byte by byte: the k8s\0 envelope around a runtime.Unknown
// (apiVersion v1, kind RangeAllocation) whose raw message holds empty metadata, the
// range string and the big-endian bitmap (ports 30000 and 30009 → bits 0 and 9).
func TestStoredBytesMatchUpstream(t *testing.T) {
	a, client := newAllocator(t, DefaultRange)
	ctx := context.Background()
	for _, p := range []int{30000, 30009} {
		if err := a.Allocate(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := client.Get(ctx, key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("get %s: %v", key, err)
	}
	rangeStr := "30000-32767"
	// metadata: ObjectMeta writes its empty strings (name, generateName, namespace,
	// selfLink, uid, resourceVersion), generation 0 and an empty creationTimestamp.
	meta := []byte{0x0a, 0x00, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a, 0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00}
	raw := append([]byte{0x0a, byte(len(meta))}, meta...)
	raw = append(raw, 0x12, byte(len(rangeStr)))
	raw = append(raw, rangeStr...)
	raw = append(raw, 0x1a, 0x02, 0x02, 0x01) // data: bit 9 and bit 0 → 0x0201
	typeMeta := []byte{0x0a, 0x02, 'v', '1', 0x12, 0x0f}
	typeMeta = append(typeMeta, "RangeAllocation"...)
	want := []byte("k8s\x00")
	want = append(want, 0x0a, byte(len(typeMeta)))
	want = append(want, typeMeta...)
	want = append(want, 0x12, byte(len(raw)))
	want = append(want, raw...)
	want = append(want, 0x1a, 0x00, 0x22, 0x00) // empty contentEncoding and contentType
	if got := resp.Kvs[0].Value; !bytes.Equal(got, want) {
		t.Fatalf("stored value\n got %q\nwant %q", got, want)
	}
}
