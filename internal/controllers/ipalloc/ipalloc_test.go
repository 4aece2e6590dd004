package ipalloc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/storage"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

const prefix = "/registry/ipaddresses/"

func newAllocator(t *testing.T, cidr string) (*Allocator, *etcd3.Store) {
	t.Helper()
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		t.Fatal(err)
	}
	scheme := apis.NewScheme()
	gvk := networkingv1.SchemeGroupVersion.WithKind("IPAddress")
	st := etcd3.New(etcdtest.Start(t), protobuf.NewSerializer(scheme, scheme), gvk,
		func() runtime.Object { return &networkingv1.IPAddress{} },
		func() runtime.Object { return &networkingv1.IPAddressList{} }, prefix)
	return New(st, prefix, n), st
}

func TestConcurrentAllocationsAreDistinct(t *testing.T) {
	a, st := newAllocator(t, "10.0.0.0/27") // 30 usable addresses
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ip, err := a.Allocate(ctx, Owner{Namespace: "default", Name: fmt.Sprint("svc-", i)})
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[ip.String()] {
				t.Errorf("address %s handed out twice", ip)
			}
			seen[ip.String()] = true
		}(i)
	}
	wg.Wait()
	close(errs)
	if len(seen) != 30 {
		t.Errorf("allocated %d addresses, want all 30", len(seen))
	}
	full := 0
	for err := range errs {
		if err.Error() != "range is full" {
			t.Errorf("unexpected error: %v", err)
		}
		full++
	}
	if full != 10 {
		t.Errorf("%d allocations failed, want 10", full)
	}
	for ip := range seen {
		if ip == "10.0.0.0" || ip == "10.0.0.31" {
			t.Errorf("allocated reserved address %s", ip)
		}
	}
	list := &networkingv1.IPAddressList{}
	if err := st.GetList(ctx, prefix, storageListAll(), list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 30 {
		t.Errorf("%d IPAddress objects stored, want 30", len(list.Items))
	}
	got := list.Items[0]
	if got.Labels[LabelManagedBy] != ManagedBy || got.Labels[LabelIPFamily] != "IPv4" || got.Spec.ParentRef == nil || got.Spec.ParentRef.Resource != "services" {
		t.Errorf("IPAddress object = %+v, want upstream's labels and a services parentRef", got)
	}
}

func TestSpecificAndRelease(t *testing.T) {
	a, _ := newAllocator(t, "10.0.0.0/24")
	ctx := context.Background()
	owner := Owner{Namespace: "default", Name: "web"}
	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"first allocation of an address", func() error { return a.AllocateSpecific(ctx, net.ParseIP("10.0.0.10"), owner) }, nil},
		{"same address again", func() error { return a.AllocateSpecific(ctx, net.ParseIP("10.0.0.10"), owner) }, ErrAllocated},
		{"release", func() error { return a.Release(ctx, net.ParseIP("10.0.0.10")) }, nil},
		{"release twice is fine", func() error { return a.Release(ctx, net.ParseIP("10.0.0.10")) }, nil},
		{"reallocate after release", func() error { return a.AllocateSpecific(ctx, net.ParseIP("10.0.0.10"), owner) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Upstream's words: a real allocation of an address outside the usable ones
	// finds no range; a dry run checks the range only.
	outside := []struct{ name, ip string }{
		{"another network", "192.168.0.1"},
		{"network address", "10.0.0.0"},
		{"broadcast address", "10.0.0.255"},
	}
	for _, tc := range outside {
		t.Run(tc.name, func(t *testing.T) {
			if err := a.AllocateSpecific(ctx, net.ParseIP(tc.ip), owner); !errors.Is(err, ErrMismatchedNetwork) {
				t.Errorf("AllocateSpecific: err = %v, want %v", err, ErrMismatchedNetwork)
			}
			want := "the provided IP (" + tc.ip + ") is not in the valid range. The range of valid IPs is 10.0.0.0/24"
			if err := a.CheckSpecific(ctx, net.ParseIP(tc.ip)); err == nil || err.Error() != want {
				t.Errorf("CheckSpecific: err = %v, want %q", err, want)
			}
		})
	}
	t.Run("dry run of a taken address", func(t *testing.T) {
		if err := a.CheckSpecific(ctx, net.ParseIP("10.0.0.10")); err != nil {
			t.Errorf("CheckSpecific(taken) = %v, want nil as upstream's dry run", err)
		}
	})
	t.Run("last addresses", func(t *testing.T) {
		if err := a.AllocateSpecific(ctx, net.ParseIP("10.0.0.254"), owner); err != nil {
			t.Errorf("10.0.0.254: %v", err)
		}
		v6, _ := newAllocator(t, "fd00::/64")
		if err := v6.AllocateSpecific(ctx, net.ParseIP("fd00::ffff:ffff:ffff:ffff"), owner); err != nil {
			t.Errorf("the last address of a large IPv6 range: %v", err)
		}
		if err := v6.AllocateSpecific(ctx, net.ParseIP("fd00::"), owner); !errors.Is(err, ErrMismatchedNetwork) {
			t.Errorf("the IPv6 range's first address: %v, want %v", err, ErrMismatchedNetwork)
		}
	})
}

func TestDynamicAllocationAvoidsStaticBand(t *testing.T) {
	a, _ := newAllocator(t, "10.0.0.0/24")
	for i := 0; i < 20; i++ {
		ip, err := a.Allocate(context.Background(), Owner{Namespace: "default", Name: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		if last := ip.To4()[3]; last <= 16 {
			t.Errorf("dynamic allocation %s fell in the static band (first 16 addresses)", ip)
		}
	}
}

func storageListAll() storage.ListOptions {
	return storage.ListOptions{Predicate: storage.Everything, Recursive: true}
}

// TestOtherServiceCIDRs checks allocation from ServiceCIDR ranges beside the
// allocator's own: an address one of them holds, and any address once the own
// range is full; ranges of the other family are not used.
func TestOtherServiceCIDRs(t *testing.T) {
	a, _ := newAllocator(t, "10.0.0.0/30") // two usable addresses
	ctx := context.Background()
	owner := Owner{Namespace: "default", Name: "web"}
	parse := func(s string) *net.IPNet { _, n, _ := net.ParseCIDR(s); return n }
	a.UseServiceCIDRs(func(context.Context) ([]*net.IPNet, error) {
		return []*net.IPNet{parse("10.0.0.0/30"), parse("fd00::/120"), parse("10.1.0.0/29")}, nil
	})
	if err := a.AllocateSpecific(ctx, net.ParseIP("10.1.0.3"), owner); err != nil {
		t.Fatalf("an address of another ServiceCIDR: %v", err)
	}
	if err := a.AllocateSpecific(ctx, net.ParseIP("10.1.0.3"), owner); !errors.Is(err, ErrAllocated) {
		t.Fatalf("the same address again: %v, want %v", err, ErrAllocated)
	}
	for _, ip := range []string{"10.1.0.0", "10.1.0.7", "fd00::5", "10.2.0.1"} {
		if err := a.AllocateSpecific(ctx, net.ParseIP(ip), owner); !errors.Is(err, ErrMismatchedNetwork) {
			t.Errorf("%s: %v, want %v", ip, err, ErrMismatchedNetwork)
		}
	}
	if err := a.CheckSpecific(ctx, net.ParseIP("10.1.0.4")); err != nil {
		t.Errorf("dry run of another ServiceCIDR's address: %v", err)
	}
	seen := map[string]bool{}
	for i := range 7 { // 2 of the own range, then 5 more of 10.1.0.0/29's 6 (one taken)
		ip, err := a.Allocate(ctx, Owner{Namespace: "default", Name: fmt.Sprint(i)})
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		seen[ip.String()] = true
		if i < 2 && !a.cidr.Contains(ip) {
			t.Errorf("allocation %d took %s while the own range had room", i, ip)
		}
	}
	if len(seen) != 7 || seen["10.1.0.3"] {
		t.Errorf("allocated %v: want 7 distinct addresses, not the taken 10.1.0.3", seen)
	}
	if _, err := a.Allocate(ctx, owner); err == nil || err.Error() != "range is full" {
		t.Errorf("with every range full: %v, want range is full", err)
	}
}
