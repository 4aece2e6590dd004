package portalloc

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func nodePortService(name string, ports ...int32) corev1.Service {
	svc := corev1.Service{}
	svc.Name, svc.Namespace = name, "default"
	for _, p := range ports {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Protocol: corev1.ProtocolTCP, NodePort: p})
	}
	return svc
}

func TestRepair(t *testing.T) {
	a, _ := newAllocator(t, DefaultRange)
	ctx := context.Background()
	// 30500 is taken but no Service uses it (a leak); 30001 and 30002 are used but
	// missing from the bitmap (lost state); 80 is out of range.
	if err := a.Allocate(ctx, 30500); err != nil {
		t.Fatal(err)
	}
	svcs := []corev1.Service{nodePortService("a", 30001, 80), nodePortService("b", 30002)}
	r := NewRepairer(a, func(context.Context) ([]corev1.Service, error) { return svcs, nil })
	tests := []struct {
		name     string
		wantLeak bool
	}{
		{name: "first repair keeps the leak", wantLeak: true},
		{name: "second repair keeps the leak", wantLeak: true},
		{name: "third repair frees the leak", wantLeak: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := r.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			for _, p := range []int{30001, 30002} {
				if has, _ := a.Has(ctx, p); !has {
					t.Errorf("used port %d not marked", p)
				}
			}
			if has, _ := a.Has(ctx, 30500); has != tc.wantLeak {
				t.Errorf("leaked port taken = %v, want %v", has, tc.wantLeak)
			}
		})
	}
}

func TestRepairAdoptsNewRange(t *testing.T) {
	a, _ := newAllocator(t, DefaultRange)
	ctx := context.Background()
	if err := a.Allocate(ctx, 30010); err != nil {
		t.Fatal(err)
	}
	wider := New(a.store, key, Range{Base: 20000, Size: 20000})
	svcs := []corev1.Service{nodePortService("a", 30010)}
	if err := NewRepairer(wider, func(context.Context) ([]corev1.Service, error) { return svcs, nil }).RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if has, err := wider.Has(ctx, 30010); err != nil || !has {
		t.Fatalf("port 30010 after the range change: %v, %v", has, err)
	}
	if _, err := a.AllocateNext(ctx); err == nil {
		t.Fatal("the old range's allocator still writes")
	}
}

func TestServiceNodePorts(t *testing.T) {
	tests := []struct {
		name  string
		ports []corev1.ServicePort
		hc    int32
		want  []int
	}{
		{name: "none", want: nil},
		{name: "tcp and udp share one", ports: []corev1.ServicePort{{Protocol: "TCP", NodePort: 30001}, {Protocol: "UDP", NodePort: 30001}}, want: []int{30001}},
		{name: "health check port", ports: []corev1.ServicePort{{Protocol: "TCP", NodePort: 30001}}, hc: 30002, want: []int{30001, 30002}},
		{name: "health check port shared with a udp port", ports: []corev1.ServicePort{{Protocol: "UDP", NodePort: 30003}}, hc: 30003, want: []int{30003}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := &corev1.Service{Spec: corev1.ServiceSpec{Ports: tc.ports, HealthCheckNodePort: tc.hc}}
			got := ServiceNodePorts(svc)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}
