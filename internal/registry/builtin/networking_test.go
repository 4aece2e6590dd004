package builtin_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	nodev1 "k8s.io/api/node/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// netCase is one networking-family resource driven through the whole stack.
type netCase struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
	name       string
	key        string         // etcd key after create
	valid      map[string]any // the object without apiVersion, kind and metadata
	invalid    func(obj map[string]any)
	badName    string // name of the invalid object; "" uses "bad"
	field      string // the cause the invalid create must carry
}

func netCases() []netCase {
	gvr := func(group, res string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Group: group, Version: "v1", Resource: res}
	}
	spec := func(o map[string]any) map[string]any { return o["spec"].(map[string]any) }
	return []netCase{
		{
			gvr: gvr("networking.k8s.io", "ingressclasses"), kind: "IngressClass", name: "nginx", key: "/registry/ingressclasses/nginx",
			valid:   map[string]any{"spec": map[string]any{"controller": "example.com/ingress"}},
			invalid: func(o map[string]any) { spec(o)["controller"] = "nginx" },
			field:   "spec.controller",
		},
		{
			gvr: gvr("networking.k8s.io", "ingresses"), kind: "Ingress", namespaced: true, name: "web", key: "/registry/ingress/default/web",
			valid: map[string]any{"spec": map[string]any{"rules": []any{map[string]any{"host": "example.com", "http": map[string]any{
				"paths": []any{map[string]any{"path": "/", "pathType": "Prefix", "backend": map[string]any{
					"service": map[string]any{"name": "web", "port": map[string]any{"number": int64(80)}}}}}}}}}},
			invalid: func(o map[string]any) {
				path := spec(o)["rules"].([]any)[0].(map[string]any)["http"].(map[string]any)["paths"].([]any)[0].(map[string]any)
				delete(path, "pathType")
			},
			field: "spec.rules[0].http.paths[0].pathType",
		},
		{
			gvr: gvr("networking.k8s.io", "ipaddresses"), kind: "IPAddress", name: "192.0.2.10", key: "/registry/ipaddresses/192.0.2.10",
			valid:   map[string]any{"spec": map[string]any{"parentRef": map[string]any{"resource": "gateways", "group": "example.com", "name": "gw"}}},
			invalid: func(map[string]any) {},
			badName: "not-an-ip",
			field:   "metadata.name",
		},
		{
			gvr: gvr("networking.k8s.io", "networkpolicies"), kind: "NetworkPolicy", namespaced: true, name: "deny", key: "/registry/networkpolicies/default/deny",
			valid:   map[string]any{"spec": map[string]any{"podSelector": map[string]any{}}},
			invalid: func(o map[string]any) { spec(o)["policyTypes"] = []any{"Sideways"} },
			field:   "spec.policyTypes[0]",
		},
		{
			gvr: gvr("networking.k8s.io", "servicecidrs"), kind: "ServiceCIDR", name: "extra", key: "/registry/servicecidrs/extra",
			valid:   map[string]any{"spec": map[string]any{"cidrs": []any{"192.0.2.0/24"}}},
			invalid: func(o map[string]any) { spec(o)["cidrs"] = []any{"192.0.2.0/24", "198.51.100.0/24"} },
			field:   "spec.cidrs",
		},
		{
			gvr: gvr("discovery.k8s.io", "endpointslices"), kind: "EndpointSlice", namespaced: true, name: "web-abc", key: "/registry/endpointslices/default/web-abc",
			valid: map[string]any{"addressType": "IPv4", "endpoints": []any{map[string]any{"addresses": []any{"10.1.2.3"}}},
				"ports": []any{map[string]any{"port": int64(80)}}},
			invalid: func(o map[string]any) { o["addressType"] = "IPv5" },
			field:   "addressType",
		},
		{
			gvr: gvr("node.k8s.io", "runtimeclasses"), kind: "RuntimeClass", name: "gvisor", key: "/registry/runtimeclasses/gvisor",
			valid:   map[string]any{"handler": "runsc"},
			invalid: func(o map[string]any) { o["handler"] = "run.sc" },
			field:   "handler",
		},
		{
			gvr: gvr("scheduling.k8s.io", "priorityclasses"), kind: "PriorityClass", name: "high", key: "/registry/priorityclasses/high",
			valid:   map[string]any{"value": int64(1000), "description": "important"},
			invalid: func(o map[string]any) { o["value"] = int64(1000000001) },
			field:   "value",
		},
	}
}

// netObject builds the unstructured object of a case.
func netObject(t *testing.T, c netCase, name string, body map[string]any) *unstructured.Unstructured {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["apiVersion"], m["kind"] = c.gvr.GroupVersion().String(), c.kind
	meta := map[string]any{"name": name}
	if c.namespaced {
		meta["namespace"] = "default"
	}
	m["metadata"] = meta
	return &unstructured.Unstructured{Object: m}
}

func netResource(dyn dynamic.Interface, c netCase) dynamic.ResourceInterface {
	if c.namespaced {
		return dyn.Resource(c.gvr).Namespace("default")
	}
	return dyn.Resource(c.gvr)
}

// causeFields lists the field of each cause of an API error.
func causeFields(err error) []string {
	var out []string
	if st, ok := err.(apierrors.APIStatus); ok && st.Status().Details != nil {
		for _, c := range st.Status().Details.Causes {
			out = append(out, c.Field)
		}
	}
	return out
}

// TestNetworkingResources drives every networking.k8s.io, discovery.k8s.io,
// node.k8s.io and scheduling.k8s.io resource through CRUD, a rejected create,
// the etcd key, Table output and discovery.
func TestNetworkingResources(t *testing.T) {
	in := servertest.Start(t)
	dyn := dynamic.NewForConfigOrDie(in.Config)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	for _, c := range netCases() {
		t.Run(c.gvr.Resource, func(t *testing.T) {
			ri := netResource(dyn, c)
			created, err := ri.Create(ctx, netObject(t, c, c.name, c.valid), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if _, err := ri.Get(ctx, c.name, metav1.GetOptions{}); err != nil {
				t.Fatalf("get: %v", err)
			}
			list, err := ri.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + c.name})
			if err != nil || len(list.Items) != 1 {
				t.Fatalf("list: %v, %d items", err, len(list.Items))
			}
			created.SetAnnotations(map[string]string{"updated": "yes"})
			updated, err := ri.Update(ctx, created, metav1.UpdateOptions{})
			if err != nil || updated.GetAnnotations()["updated"] != "yes" {
				t.Fatalf("update: %v", err)
			}
			patched, err := ri.Patch(ctx, c.name, types.MergePatchType, []byte(`{"metadata":{"labels":{"patched":"yes"}}}`), metav1.PatchOptions{})
			if err != nil || patched.GetLabels()["patched"] != "yes" {
				t.Fatalf("patch: %v", err)
			}
			if resp, err := in.Etcd.Get(ctx, c.key); err != nil || len(resp.Kvs) != 1 {
				t.Errorf("etcd key %s: %v", c.key, err)
			} else if v := resp.Kvs[0].Value; !strings.HasPrefix(string(v), "k8s\x00") || !strings.Contains(string(v), c.gvr.GroupVersion().String()) {
				t.Errorf("etcd value of %s is not a %s protobuf envelope", c.key, c.gvr.GroupVersion())
			}

			raw, err := cs.RESTClient().Get().AbsPath(tablePath(c)).SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
			if err != nil {
				t.Fatalf("table: %v", err)
			}
			var table metav1.Table
			if err := json.Unmarshal(raw, &table); err != nil || len(table.Rows) != 1 {
				t.Fatalf("table: %v, %s", err, raw)
			}
			if table.ColumnDefinitions[0].Name != "Name" || table.Rows[0].Cells[0] != c.name {
				t.Errorf("table columns %v, first row %v", table.ColumnDefinitions, table.Rows[0].Cells)
			}

			if err := ri.Delete(ctx, c.name, metav1.DeleteOptions{}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			if _, err := ri.Get(ctx, c.name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("get after delete: %v", err)
			}

			bad := netObject(t, c, "bad", c.valid).Object
			c.invalid(bad)
			badName := c.badName
			if badName == "" {
				badName = "bad"
			}
			delete(bad, "metadata")
			_, err = ri.Create(ctx, netObject(t, c, badName, bad), metav1.CreateOptions{})
			if !apierrors.IsInvalid(err) {
				t.Fatalf("invalid create: %v, want 422", err)
			}
			if got := causeFields(err); !slices.Contains(got, c.field) {
				t.Errorf("invalid create causes %v, want one on %s (%v)", got, c.field, err)
			}
		})
	}

	t.Run("discovery", func(t *testing.T) {
		for _, gv := range []string{"networking.k8s.io/v1", "discovery.k8s.io/v1", "node.k8s.io/v1", "scheduling.k8s.io/v1"} {
			got, err := cs.Discovery().ServerResourcesForGroupVersion(gv)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile("/work/shared/reference/discovery/apis_" + strings.NewReplacer(".", "_", "/", "_").Replace(gv) + ".json")
			if err != nil {
				t.Skipf("reference discovery not available: %v", err)
			}
			var want metav1.APIResourceList
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			for _, w := range want.APIResources {
				i := slices.IndexFunc(got.APIResources, func(r metav1.APIResource) bool { return r.Name == w.Name })
				if i < 0 {
					t.Errorf("%s: %s missing", gv, w.Name)
					continue
				}
				g := got.APIResources[i]
				if g.SingularName != w.SingularName || g.Namespaced != w.Namespaced || g.Kind != w.Kind ||
					!slices.Equal(g.Verbs, w.Verbs) || !slices.Equal(g.ShortNames, w.ShortNames) || !slices.Equal(g.Categories, w.Categories) ||
					g.StorageVersionHash != w.StorageVersionHash {
					t.Errorf("%s %s:\n got %+v\nwant %+v", gv, w.Name, g, w)
				}
			}
			if len(got.APIResources) != len(want.APIResources) {
				t.Errorf("%s: %d resources, want %d", gv, len(got.APIResources), len(want.APIResources))
			}
		}
	})
}

func tablePath(c netCase) string {
	p := "/apis/" + c.gvr.GroupVersion().String()
	if c.namespaced {
		p += "/namespaces/default"
	}
	return p + "/" + c.gvr.Resource + "/" + c.name
}

// TestNetworkingBehaviour checks what the strategies do beyond validation:
// defaults, generation, status subresources, immutable fields and PUT semantics.
func TestNetworkingBehaviour(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	prefix := networkingv1.PathTypePrefix
	om := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name} }

	ings := cs.NetworkingV1().Ingresses("default")
	pcs := cs.SchedulingV1().PriorityClasses()
	rcs := cs.NodeV1().RuntimeClasses()
	sliceClient := cs.DiscoveryV1().EndpointSlices("default")
	nps := cs.NetworkingV1().NetworkPolicies("default")
	cidrs := cs.NetworkingV1().ServiceCIDRs()

	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{
			name: "ingress status is set only through /status and spec changes bump generation",
			run: func(t *testing.T) {
				ing := &networkingv1.Ingress{ObjectMeta: om("web"), Spec: networkingv1.IngressSpec{
					DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Name: "http"}}}},
					Status: networkingv1.IngressStatus{LoadBalancer: networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{IP: "10.0.0.9"}}}}}
				got, err := ings.Create(ctx, ing, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if got.Generation != 1 || len(got.Status.LoadBalancer.Ingress) != 0 {
					t.Fatalf("created generation %d status %+v", got.Generation, got.Status)
				}
				got.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "10.0.0.9"}}
				got, err = ings.UpdateStatus(ctx, got, metav1.UpdateOptions{})
				if err != nil || len(got.Status.LoadBalancer.Ingress) != 1 || got.Generation != 1 {
					t.Fatalf("status update: %v %+v", err, got)
				}
				got.Spec.Rules = []networkingv1.IngressRule{{Host: "example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
					Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &prefix, Backend: *ing.Spec.DefaultBackend}}}}}}
				got.Status = networkingv1.IngressStatus{}
				got, err = ings.Update(ctx, got, metav1.UpdateOptions{})
				if err != nil || got.Generation != 2 || len(got.Status.LoadBalancer.Ingress) != 1 {
					t.Fatalf("spec update: %v generation %d status %+v", err, got.Generation, got.Status)
				}
				got.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "not-an-ip"}}
				_, err = ings.UpdateStatus(ctx, got, metav1.UpdateOptions{})
				if !apierrors.IsInvalid(err) || !containsField(err, "status.loadBalancer.ingress[0].ip") {
					t.Fatalf("bad status: %v", err)
				}
			},
		},
		{
			name: "network policy is defaulted",
			run: func(t *testing.T) {
				np, err := nps.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: om("np"), Spec: networkingv1.NetworkPolicySpec{
					Egress: []networkingv1.NetworkPolicyEgressRule{{Ports: []networkingv1.NetworkPolicyPort{{}}}}}}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(np.Spec.PolicyTypes) != 2 || np.Spec.Egress[0].Ports[0].Protocol == nil || *np.Spec.Egress[0].Ports[0].Protocol != corev1.ProtocolTCP || np.Generation != 1 {
					t.Errorf("got %+v generation %d", np.Spec, np.Generation)
				}
			},
		},
		{
			name: "priority class value is immutable and the policy defaulted",
			run: func(t *testing.T) {
				pc, err := pcs.Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: om("mid"), Value: 500}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if pc.PreemptionPolicy == nil || *pc.PreemptionPolicy != corev1.PreemptLowerPriority || pc.Generation != 1 {
					t.Errorf("created %+v", pc)
				}
				pc.Value = 600
				_, err = pcs.Update(ctx, pc, metav1.UpdateOptions{})
				if !apierrors.IsInvalid(err) || !containsField(err, "value") {
					t.Fatalf("value change: %v", err)
				}
				_, err = pcs.Create(ctx, &schedulingv1.PriorityClass{ObjectMeta: om("system-mine"), Value: 5}, metav1.CreateOptions{})
				if !apierrors.IsInvalid(err) || !containsField(err, "metadata.name") {
					t.Fatalf("reserved name: %v", err)
				}
			},
		},
		{
			name: "runtime class put creates, updates need a resourceVersion and the handler is fixed",
			run: func(t *testing.T) {
				rc, err := rcs.Update(ctx, &nodev1.RuntimeClass{ObjectMeta: om("kata"), Handler: "kata"}, metav1.UpdateOptions{})
				if err != nil {
					t.Fatalf("put create: %v", err)
				}
				_, err = rcs.Update(ctx, &nodev1.RuntimeClass{ObjectMeta: om("kata"), Handler: "kata"}, metav1.UpdateOptions{})
				if !apierrors.IsInvalid(err) || !containsField(err, "metadata.resourceVersion") {
					t.Fatalf("update without resourceVersion: %v", err)
				}
				rc.Handler = "runc"
				_, err = rcs.Update(ctx, rc, metav1.UpdateOptions{})
				if !apierrors.IsInvalid(err) || !containsField(err, "handler") {
					t.Fatalf("handler change: %v", err)
				}
			},
		},
		{
			name: "endpoint slice ports are defaulted, labels bump generation, addressType is fixed",
			run: func(t *testing.T) {
				eps, err := sliceClient.Create(ctx, &discoveryv1.EndpointSlice{ObjectMeta: om("s1"), AddressType: discoveryv1.AddressTypeIPv4,
					Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.5"}}},
					Ports:     []discoveryv1.EndpointPort{{Port: netPtr(int32(80))}}}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if p := eps.Ports[0]; p.Name == nil || *p.Name != "" || p.Protocol == nil || *p.Protocol != corev1.ProtocolTCP || eps.Generation != 1 {
					t.Errorf("created %+v generation %d", eps.Ports, eps.Generation)
				}
				eps.Labels = map[string]string{"a": "b"}
				eps, err = sliceClient.Update(ctx, eps, metav1.UpdateOptions{})
				if err != nil || eps.Generation != 2 {
					t.Fatalf("label update: %v generation %d", err, eps.Generation)
				}
				eps.Annotations = map[string]string{"a": "b"}
				eps, err = sliceClient.Update(ctx, eps, metav1.UpdateOptions{})
				if err != nil || eps.Generation != 2 {
					t.Fatalf("annotation update: %v generation %d", err, eps.Generation)
				}
				eps.AddressType = discoveryv1.AddressTypeFQDN
				eps.Endpoints[0].Addresses = []string{"db.example.com"}
				_, err = sliceClient.Update(ctx, eps, metav1.UpdateOptions{})
				if !apierrors.IsInvalid(err) || !containsField(err, "addressType") {
					t.Fatalf("addressType change: %v", err)
				}
			},
		},
		{
			name: "service cidr status is kept from the main resource and set through /status",
			run: func(t *testing.T) {
				sc, err := cidrs.Create(ctx, &networkingv1.ServiceCIDR{ObjectMeta: om("more"), Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"198.51.100.0/24"}},
					Status: networkingv1.ServiceCIDRStatus{Conditions: []metav1.Condition{{Type: "Ready", Status: "True", Reason: "R", LastTransitionTime: metav1.Now()}}}},
					metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if len(sc.Status.Conditions) != 0 {
					t.Errorf("status kept on create: %+v", sc.Status)
				}
				sc.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: "True", Reason: "R", LastTransitionTime: metav1.Now()}}
				sc, err = cidrs.UpdateStatus(ctx, sc, metav1.UpdateOptions{})
				if err != nil || len(sc.Status.Conditions) != 1 {
					t.Fatalf("status update: %v", err)
				}
				sc.Spec.CIDRs = append(sc.Spec.CIDRs, "2001:db8::/112")
				sc, err = cidrs.Update(ctx, sc, metav1.UpdateOptions{})
				if err != nil || len(sc.Spec.CIDRs) != 2 || len(sc.Status.Conditions) != 1 {
					t.Fatalf("dual-stack upgrade: %v %+v", err, sc)
				}
				sc.Spec.CIDRs = sc.Spec.CIDRs[:1]
				_, err = cidrs.Update(ctx, sc, metav1.UpdateOptions{})
				if !apierrors.IsInvalid(err) || !containsField(err, "spec.cidrs") {
					t.Fatalf("shrink: %v", err)
				}
			},
		},
		{
			name: "the service allocator's ip addresses are served",
			run: func(t *testing.T) {
				svc, err := cs.CoreV1().Services("default").Create(ctx, &corev1.Service{ObjectMeta: om("alloc"),
					Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				ip, err := cs.NetworkingV1().IPAddresses().Get(ctx, svc.Spec.ClusterIP, metav1.GetOptions{})
				if err != nil {
					t.Fatalf("ipaddress %s: %v", svc.Spec.ClusterIP, err)
				}
				if ref := ip.Spec.ParentRef; ref == nil || ref.Resource != "services" || ref.Name != "alloc" || ref.Namespace != "default" {
					t.Errorf("parentRef %+v", ip.Spec.ParentRef)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.run)
	}
}

func containsField(err error, field string) bool {
	return slices.Contains(causeFields(err), field)
}

func netPtr[T any](v T) *T { return &v }
