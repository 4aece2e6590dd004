package builtin_test

import (
	"context"
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestServiceTypeChanges: an update that changes a Service's type gets what
// upstream's service REST gives it — a ClusterIP when it stops being an
// ExternalName, the addresses and IP families cleared (and the address freed) when
// it becomes one, the load balancer's fields and status cleared when it stops being
// one — and an update that leaves the ClusterIP out keeps it.
func TestServiceTypeChanges(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	svcs := cs.CoreV1().Services("default")
	port := []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}}
	create := func(t *testing.T, svc *corev1.Service) *corev1.Service {
		t.Helper()
		out, err := svcs.Create(ctx, svc, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// ipFree reports whether another Service may take ip.
	ipFree := func(t *testing.T, ip string) bool {
		t.Helper()
		probe := &corev1.Service{ObjectMeta: metav1.ObjectMeta{GenerateName: "probe-"}, Spec: corev1.ServiceSpec{ClusterIP: ip, Ports: port}}
		out, err := svcs.Create(ctx, probe, metav1.CreateOptions{})
		if apierrors.IsInvalid(err) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := svcs.Delete(ctx, out.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		return true
	}

	t.Run("ClusterIP to ExternalName", func(t *testing.T) {
		svc := create(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "to-external"}, Spec: corev1.ServiceSpec{Ports: port}})
		ip := svc.Spec.ClusterIP
		svc.Spec.Type, svc.Spec.ExternalName = corev1.ServiceTypeExternalName, "db.example.com"
		got, err := svcs.Update(ctx, svc, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec.ClusterIP != "" || got.Spec.ClusterIPs != nil || got.Spec.IPFamilies != nil || got.Spec.IPFamilyPolicy != nil ||
			got.Spec.InternalTrafficPolicy != nil {
			t.Errorf("spec after the change: clusterIP %q %v, families %v, policy %v, internal traffic policy %v; want all cleared",
				got.Spec.ClusterIP, got.Spec.ClusterIPs, got.Spec.IPFamilies, got.Spec.IPFamilyPolicy, got.Spec.InternalTrafficPolicy)
		}
		if !ipFree(t, ip) {
			t.Errorf("%s is still taken after its Service became an ExternalName", ip)
		}
	})

	for _, typ := range []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort} {
		t.Run("ExternalName to "+string(typ), func(t *testing.T) {
			svc := create(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "from-external-" + strings.ToLower(string(typ))},
				Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com", Ports: port}})
			svc.Spec.Type, svc.Spec.ExternalName = typ, ""
			dry, err := svcs.Update(ctx, svc.DeepCopy(), metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
			if err != nil {
				t.Fatal(err)
			}
			if net.ParseIP(dry.Spec.ClusterIP) == nil || !ipFree(t, dry.Spec.ClusterIP) {
				t.Errorf("dry run: clusterIP %q, want an address it did not take", dry.Spec.ClusterIP)
			}
			got, err := svcs.Update(ctx, svc, metav1.UpdateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if net.ParseIP(got.Spec.ClusterIP) == nil || len(got.Spec.ClusterIPs) != 1 || got.Spec.ClusterIPs[0] != got.Spec.ClusterIP ||
				len(got.Spec.IPFamilies) != 1 || ptr.Deref(got.Spec.IPFamilyPolicy, "") != corev1.IPFamilyPolicySingleStack {
				t.Fatalf("spec after the change: clusterIP %q %v, families %v, policy %v", got.Spec.ClusterIP, got.Spec.ClusterIPs,
					got.Spec.IPFamilies, ptr.Deref(got.Spec.IPFamilyPolicy, ""))
			}
			if ipFree(t, got.Spec.ClusterIP) {
				t.Errorf("%s is not taken by the Service given it", got.Spec.ClusterIP)
			}
			if typ == corev1.ServiceTypeNodePort && got.Spec.Ports[0].NodePort == 0 {
				t.Errorf("no node port: %+v", got.Spec.Ports)
			}
		})
	}

	t.Run("update without the ClusterIP keeps it", func(t *testing.T) {
		manifest := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "resent"}, Spec: corev1.ServiceSpec{Ports: port}}
		created := create(t, manifest.DeepCopy())
		manifest.Labels = map[string]string{"edited": "yes"}
		got, err := svcs.Update(ctx, manifest, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec.ClusterIP != created.Spec.ClusterIP || len(got.Spec.ClusterIPs) != 1 || got.Spec.ClusterIPs[0] != created.Spec.ClusterIP {
			t.Errorf("clusterIP %q %v, want %q kept", got.Spec.ClusterIP, got.Spec.ClusterIPs, created.Spec.ClusterIP)
		}
		if len(got.Spec.IPFamilies) != 1 || ptr.Deref(got.Spec.IPFamilyPolicy, "") != corev1.IPFamilyPolicySingleStack {
			t.Errorf("families %v, policy %v, want the created ones kept", got.Spec.IPFamilies, ptr.Deref(got.Spec.IPFamilyPolicy, ""))
		}
	})

	t.Run("an ExternalName has no internal traffic policy", func(t *testing.T) {
		got := create(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "external-itp"}, Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com",
			InternalTrafficPolicy: ptr.To(corev1.ServiceInternalTrafficPolicyLocal)}})
		if got.Spec.InternalTrafficPolicy != nil {
			t.Errorf("internal traffic policy %v, want none", *got.Spec.InternalTrafficPolicy)
		}
	})

	t.Run("LoadBalancer to ClusterIP", func(t *testing.T) {
		svc := create(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "from-lb"}, Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeLoadBalancer, Ports: port, LoadBalancerClass: ptr.To("example.com/lb"),
			AllocateLoadBalancerNodePorts: ptr.To(true), ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal}})
		svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "192.0.2.50"}}
		svc, err := svcs.UpdateStatus(ctx, svc, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc.Spec.Type = corev1.ServiceTypeClusterIP
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].NodePort = 0
		}
		svc.Spec.HealthCheckNodePort = 0
		got, err := svcs.Update(ctx, svc, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec.LoadBalancerClass != nil || got.Spec.AllocateLoadBalancerNodePorts != nil || got.Spec.ExternalTrafficPolicy != "" ||
			len(got.Status.LoadBalancer.Ingress) != 0 {
			t.Errorf("after the change: class %v, allocate node ports %v, traffic policy %q, status %+v; want all cleared",
				got.Spec.LoadBalancerClass, got.Spec.AllocateLoadBalancerNodePorts, got.Spec.ExternalTrafficPolicy, got.Status.LoadBalancer)
		}
	})
}
