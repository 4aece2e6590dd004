package builtin_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/controllers/portalloc"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
)

// nodePortBitmap reads the server's node port allocations straight from etcd.
func nodePortBitmap(t *testing.T, in *servertest.Instance) *portalloc.Allocator {
	t.Helper()
	scheme := apis.NewScheme()
	st := etcd3.New(in.Etcd, protobuf.NewSerializer(scheme, scheme), corev1.SchemeGroupVersion.WithKind("RangeAllocation"),
		func() runtime.Object { return &corev1.RangeAllocation{} },
		func() runtime.Object { return &metav1.List{} }, "/registry/ranges/")
	return portalloc.New(st, "/registry/ranges/servicenodeports", portalloc.DefaultRange)
}

func nodePortSvc(name string, typ corev1.ServiceType, nodePorts ...int32) *corev1.Service {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{Type: typ}}
	for i, np := range nodePorts {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{Name: fmt.Sprintf("p%d", i), Port: int32(80 + i),
			TargetPort: intstr.FromInt32(int32(8080 + i)), NodePort: np})
	}
	return svc
}

func TestServiceNodePortAllocation(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	bitmap := nodePortBitmap(t, in)
	ctx := context.Background()
	if _, err := cs.CoreV1().Services("default").Create(ctx, nodePortSvc("holder", corev1.ServiceTypeNodePort, 30500), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	lbLocal := nodePortSvc("lb-local", corev1.ServiceTypeLoadBalancer, 0)
	lbLocal.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
	lbNoPorts := nodePortSvc("lb-no-ports", corev1.ServiceTypeLoadBalancer, 0)
	lbNoPorts.Spec.AllocateLoadBalancerNodePorts = ptr.To(false)
	sharedPort := nodePortSvc("tcp-udp", corev1.ServiceTypeNodePort)
	sharedPort.Spec.Ports = []corev1.ServicePort{
		{Name: "tcp", Port: 53, Protocol: corev1.ProtocolTCP}, {Name: "udp", Port: 53, Protocol: corev1.ProtocolUDP},
	}
	tests := []struct {
		name      string
		svc       *corev1.Service
		wantErr   string
		check     func(t *testing.T, got *corev1.Service)
		wantPorts int
	}{
		{name: "free port for each port", svc: nodePortSvc("two", corev1.ServiceTypeNodePort, 0, 0), wantPorts: 2},
		{name: "requested port", svc: nodePortSvc("asked", corev1.ServiceTypeNodePort, 30600), wantPorts: 1,
			check: func(t *testing.T, got *corev1.Service) {
				if got.Spec.Ports[0].NodePort != 30600 {
					t.Errorf("nodePort %d, want 30600", got.Spec.Ports[0].NodePort)
				}
			}},
		{name: "requested port taken", svc: nodePortSvc("taken", corev1.ServiceTypeNodePort, 30500),
			wantErr: `Service "taken" is invalid: spec.ports[0].nodePort: Invalid value: 30500: provided port is already allocated`},
		{name: "requested port out of range", svc: nodePortSvc("outside", corev1.ServiceTypeNodePort, 20000),
			wantErr: `spec.ports[0].nodePort: Invalid value: 20000: provided port is not in the valid range. The range of valid ports is 30000-32767`},
		{name: "tcp and udp of one port share a node port", svc: sharedPort, wantPorts: 1,
			check: func(t *testing.T, got *corev1.Service) {
				if got.Spec.Ports[0].NodePort != got.Spec.Ports[1].NodePort {
					t.Errorf("node ports %d and %d differ", got.Spec.Ports[0].NodePort, got.Spec.Ports[1].NodePort)
				}
			}},
		{name: "load balancer with local traffic gets a health check port", svc: lbLocal, wantPorts: 2,
			check: func(t *testing.T, got *corev1.Service) {
				if got.Spec.HealthCheckNodePort == 0 {
					t.Error("no healthCheckNodePort")
				}
			}},
		{name: "load balancer without node ports", svc: lbNoPorts, wantPorts: 0},
		{name: "cluster IP service gets none", svc: nodePortSvc("plain", corev1.ServiceTypeClusterIP, 0), wantPorts: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cs.CoreV1().Services("default").Create(ctx, tc.svc, metav1.CreateOptions{})
			if tc.wantErr != "" {
				if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want 422 %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ports := portalloc.ServiceNodePorts(got)
			if len(ports) != tc.wantPorts {
				t.Fatalf("node ports %v, want %d", ports, tc.wantPorts)
			}
			for _, p := range ports {
				if has, err := bitmap.Has(ctx, p); err != nil || !has {
					t.Errorf("port %d not recorded in etcd (%v)", p, err)
				}
			}
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

func TestServiceNodePortLifecycle(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	bitmap := nodePortBitmap(t, in)
	ctx := context.Background()
	svcs := cs.CoreV1().Services("default")
	taken := func(t *testing.T, port int32) bool {
		t.Helper()
		has, err := bitmap.Has(ctx, int(port))
		if err != nil {
			t.Fatal(err)
		}
		return has
	}

	t.Run("dry run allocates nothing", func(t *testing.T) {
		got, err := svcs.Create(ctx, nodePortSvc("dry", corev1.ServiceTypeNodePort, 0, 30700), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec.Ports[0].NodePort == 0 || got.Spec.Ports[1].NodePort != 30700 {
			t.Fatalf("dry run answer without node ports: %+v", got.Spec.Ports)
		}
		if taken(t, got.Spec.Ports[0].NodePort) || taken(t, 30700) {
			t.Fatal("dry run took a node port")
		}
	})

	created, err := svcs.Create(ctx, nodePortSvc("web", corev1.ServiceTypeNodePort, 0), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	port := created.Spec.Ports[0].NodePort

	t.Run("update without node ports keeps them", func(t *testing.T) {
		cur, err := svcs.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Spec.Ports[0].NodePort = 0
		cur.Labels = map[string]string{"touched": "yes"}
		got, err := svcs.Update(ctx, cur, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec.Ports[0].NodePort != port || !taken(t, port) {
			t.Fatalf("nodePort %d after update, want %d kept", got.Spec.Ports[0].NodePort, port)
		}
	})

	t.Run("changing the node port frees the old one", func(t *testing.T) {
		cur, err := svcs.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Spec.Ports[0].NodePort = 30800
		if _, err := svcs.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if taken(t, port) || !taken(t, 30800) {
			t.Fatalf("after the change: old %d taken %v, new taken %v", port, taken(t, port), taken(t, 30800))
		}
		port = 30800
	})

	t.Run("dry run update takes nothing", func(t *testing.T) {
		cur, err := svcs.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Spec.Ports[0].NodePort = 30801
		if _, err := svcs.Update(ctx, cur, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Fatal(err)
		}
		if taken(t, 30801) || !taken(t, port) {
			t.Fatal("dry run update changed the allocations")
		}
	})

	t.Run("type change to ClusterIP releases the port", func(t *testing.T) {
		cur, err := svcs.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Spec.Type = corev1.ServiceTypeClusterIP
		cur.Spec.ExternalTrafficPolicy = ""
		got, err := svcs.Update(ctx, cur, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec.Ports[0].NodePort != 0 || taken(t, port) {
			t.Fatalf("nodePort %d, taken %v after the change to ClusterIP", got.Spec.Ports[0].NodePort, taken(t, port))
		}
	})

	t.Run("type change to NodePort allocates", func(t *testing.T) {
		cur, err := svcs.Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cur.Spec.Type = corev1.ServiceTypeNodePort
		got, err := svcs.Update(ctx, cur, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		port = got.Spec.Ports[0].NodePort
		if port == 0 || !taken(t, port) {
			t.Fatalf("nodePort %d not allocated", port)
		}
	})

	t.Run("delete releases the port", func(t *testing.T) {
		if err := svcs.Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if taken(t, port) {
			t.Fatalf("port %d still taken after delete", port)
		}
	})
}

func TestServiceNodePortConcurrentCreates(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) {
		c.ServiceNodePortRange = portalloc.Range{Base: 31000, Size: 20}
	})
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	var mu sync.Mutex
	owner := map[int32]string{}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := cs.CoreV1().Services("default").Create(ctx, nodePortSvc(fmt.Sprintf("c%d", i), corev1.ServiceTypeNodePort, 0), metav1.CreateOptions{})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			np := got.Spec.Ports[0].NodePort
			if prev, dup := owner[np]; dup {
				t.Errorf("node port %d given to %s and %s", np, prev, got.Name)
			}
			owner[np] = got.Name
		}()
	}
	wg.Wait()
	if len(owner) != 20 {
		t.Fatalf("%d distinct ports for 20 services", len(owner))
	}
	_, err := cs.CoreV1().Services("default").Create(ctx, nodePortSvc("full", corev1.ServiceTypeNodePort, 0), metav1.CreateOptions{})
	if !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), "failed to allocate a nodePort: range is full") {
		t.Fatalf("create in a full range: %v", err)
	}
}

// TestServiceNodePortRepairAfterRestart loses the bitmap, then starts a second
// server on the same etcd: it must rebuild the bitmap from the stored Services
// before it serves, so a new Service cannot take a port already in use.
func TestServiceNodePortRepairAfterRestart(t *testing.T) {
	small := portalloc.Range{Base: 32000, Size: 3}
	first := servertest.StartWith(t, func(c *server.Config) { c.ServiceNodePortRange = small })
	cs := kubernetes.NewForConfigOrDie(first.Config)
	ctx := context.Background()
	used := map[int32]bool{}
	for _, name := range []string{"a", "b"} {
		got, err := cs.CoreV1().Services("default").Create(ctx, nodePortSvc(name, corev1.ServiceTypeNodePort, 0), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		used[got.Spec.Ports[0].NodePort] = true
	}
	if _, err := first.Etcd.Delete(ctx, "/registry/ranges/servicenodeports"); err != nil {
		t.Fatal(err)
	}
	second := servertest.StartWith(t, func(c *server.Config) {
		c.EtcdServers = first.Etcd.Endpoints()
		c.ServiceNodePortRange = small
	})
	got, err := kubernetes.NewForConfigOrDie(second.Config).CoreV1().Services("default").Create(ctx, nodePortSvc("c", corev1.ServiceTypeNodePort, 0), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if np := got.Spec.Ports[0].NodePort; used[np] {
		t.Fatalf("the restarted server handed out %d again", np)
	}
}
