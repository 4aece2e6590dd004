package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestServerOwnedFields: the objects the server writes itself record their
// managers in metadata.managedFields as kube-apiserver v1.37's do (compared with
// its objects): "kube-apiserver" for the system namespaces, the kubernetes Service,
// its IPAddress, endpoints and identity Lease, the bootstrap RBAC and priority
// classes; APF's producer and consumer for the flow-control objects. A user's
// first apply to such an object then conflicts with the server, as upstream,
// instead of taking the fields over silently.
func TestServerOwnedFields(t *testing.T) {
	in := servertest.Start(t)
	dyn := dynamic.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	gvr := func(group, version, resource string) schema.GroupVersionResource {
		return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
	}
	tests := []struct {
		name            string
		resource        schema.GroupVersionResource
		namespace, obj  string
		manager, subres string
		owns            string // a field path fragment the manager must own
	}{
		{"default namespace", gvr("", "v1", "namespaces"), "", "default", "kube-apiserver", "", `"f:kubernetes.io/metadata.name"`},
		{"kubernetes service", gvr("", "v1", "services"), "default", "kubernetes", "kube-apiserver", "", `"f:clusterIP"`},
		{"kubernetes endpoints", gvr("", "v1", "endpoints"), "default", "kubernetes", "kube-apiserver", "", `"f:subsets"`},
		{"kubernetes endpoint slice", gvr("discovery.k8s.io", "v1", "endpointslices"), "default", "kubernetes", "kube-apiserver", "", `"f:endpoints"`},
		{"service CIDR", gvr("networking.k8s.io", "v1", "servicecidrs"), "", "kubernetes", "kube-apiserver", "", `"f:cidrs"`},
		{"service CIDR ready", gvr("networking.k8s.io", "v1", "servicecidrs"), "", "kubernetes", "kubernetes-service-cidr-controller", "status", `"k:{\"type\":\"Ready\"}"`},
		{"cluster role", gvr("rbac.authorization.k8s.io", "v1", "clusterroles"), "", "system:node", "kube-apiserver", "", `"f:rules"`},
		{"role binding", gvr("rbac.authorization.k8s.io", "v1", "rolebindings"), "kube-system", "system:controller:bootstrap-signer", "kube-apiserver", "", `"f:roleRef"`},
		{"priority class", gvr("scheduling.k8s.io", "v1", "priorityclasses"), "", "system-node-critical", "kube-apiserver", "", `"f:value"`},
		{"client CA", gvr("", "v1", "configmaps"), "kube-system", "extension-apiserver-authentication", "kube-apiserver", "", `"f:client-ca-file"`},
		{"flow schema spec", gvr("flowcontrol.apiserver.k8s.io", "v1", "flowschemas"), "", "exempt", "api-priority-and-fairness-config-producer-v1", "", `"f:matchingPrecedence"`},
		{"flow schema status", gvr("flowcontrol.apiserver.k8s.io", "v1", "flowschemas"), "", "exempt", "api-priority-and-fairness-config-consumer-v1", "status", `"k:{\"type\":\"Dangling\"}"`},
		{"priority level", gvr("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations"), "", "workload-low", "api-priority-and-fairness-config-producer-v1", "", `"f:limited"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Status conditions are written shortly after start.
			deadline := time.Now().Add(10 * time.Second)
			for {
				u, err := dyn.Resource(tc.resource).Namespace(tc.namespace).Get(ctx, tc.obj, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				var found []string
				for _, m := range u.GetManagedFields() {
					found = append(found, m.Manager+"/"+string(m.Operation)+"/"+m.Subresource)
					if m.Manager == tc.manager && m.Operation == metav1.ManagedFieldsOperationUpdate && m.Subresource == tc.subres &&
						m.FieldsV1 != nil && strings.Contains(string(m.FieldsV1.Raw), tc.owns) {
						return
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("managers %v: none is %s updating %s through %q", found, tc.manager, tc.owns, tc.subres)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}

	t.Run("kubernetes service address", func(t *testing.T) {
		svc, err := dyn.Resource(gvr("", "v1", "services")).Namespace("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ip, _, _ := unstructured.NestedString(svc.Object, "spec", "clusterIP")
		addr, err := dyn.Resource(gvr("networking.k8s.io", "v1", "ipaddresses")).Get(ctx, ip, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if mf := addr.GetManagedFields(); len(mf) != 1 || mf[0].Manager != "kube-apiserver" || !strings.Contains(string(mf[0].FieldsV1.Raw), `"f:parentRef"`) {
			t.Errorf("IPAddress %s managed fields %v, want kube-apiserver owning the parent reference", ip, mf)
		}
	})

	t.Run("an apply conflicts with the server", func(t *testing.T) {
		body := []byte(`{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"system-node-critical"},"value":1,"description":"mine"}`)
		_, err := dyn.Resource(gvr("scheduling.k8s.io", "v1", "priorityclasses")).Patch(ctx, "system-node-critical", types.ApplyPatchType, body,
			metav1.PatchOptions{FieldManager: "someone"})
		if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `conflicts with "kube-apiserver"`) {
			t.Fatalf("apply over the server's fields: %v, want a conflict with kube-apiserver", err)
		}
	})

	t.Run("identity lease", func(t *testing.T) {
		leases, err := dyn.Resource(gvr("coordination.k8s.io", "v1", "leases")).Namespace("kube-system").
			List(ctx, metav1.ListOptions{LabelSelector: "apiserver.kubernetes.io/identity=kube-apiserver"})
		if err != nil || len(leases.Items) != 1 {
			t.Fatalf("identity leases: %v %v", err, leases)
		}
		l := leases.Items[0]
		if l.GetAnnotations()["kubernetes.io/peer-advertise-address"] == "" {
			t.Errorf("annotations %v lack kubernetes.io/peer-advertise-address", l.GetAnnotations())
		}
		if mf := l.GetManagedFields(); len(mf) != 1 || mf[0].Manager != "kube-apiserver" {
			t.Errorf("managed fields %v, want kube-apiserver's", mf)
		}
	})
}
