package node_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/authz/node"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

var nodeA = &request.User{Name: "system:node:node-a", Groups: []string{"system:nodes", "system:authenticated"}}

// decide asks the authorizer about method url as the request filter would.
func decide(t testing.TB, a authz.Authorizer, u *request.User, method, url string) (authz.Decision, string, error) {
	t.Helper()
	info := request.ParseInfo(httptest.NewRequest(method, url, nil))
	return a.Authorize(context.Background(), authz.Attributes{User: u, Info: info})
}

const noRelation = "no relationship found between node 'node-a' and this object"

// modes are the two ways the authorizer finds the pods of a node: listing them from
// the watch cache (before its index is synced) and its pod index.
var modes = []struct {
	name  string
	index bool
}{{name: "watch cache list"}, {name: "pod index", index: true}}

// newAuthorizer returns an authorizer over ts, with its pod index running and synced
// when index is set.
func newAuthorizer(t *testing.T, ts *testStores, index bool) *node.Authorizer {
	t.Helper()
	a := node.New(ts.sources)
	if index {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		a.Run(ctx)
		eventually(t, a.Synced)
	}
	return a
}

func TestAuthorize(t *testing.T) {
	ts := startStores(t)
	populate(t, ts)
	tests := []struct {
		name        string
		user        *request.User // nodeA when nil
		method, url string
		want        authz.Decision
		reason      string
	}{
		// Secrets and configmaps: single related objects, read only.
		{name: "secret the pod mounts", method: "GET", url: "/api/v1/namespaces/ns/secrets/vol-secret", want: authz.Allow},
		{name: "secret from env valueFrom", method: "GET", url: "/api/v1/namespaces/ns/secrets/env-secret", want: authz.Allow},
		{name: "image pull secret", method: "GET", url: "/api/v1/namespaces/ns/secrets/pull-secret", want: authz.Allow},
		{name: "projected secret", method: "GET", url: "/api/v1/namespaces/ns/secrets/proj-secret", want: authz.Allow},
		{name: "inline CSI node publish secret", method: "GET", url: "/api/v1/namespaces/ns/secrets/csi-secret", want: authz.Allow},
		{name: "configmap from envFrom", method: "GET", url: "/api/v1/namespaces/ns/configmaps/envfrom-cm", want: authz.Allow},
		{name: "projected configmap", method: "GET", url: "/api/v1/namespaces/ns/configmaps/proj-cm", want: authz.Allow},
		{name: "watch one secret by name", method: "GET", url: "/api/v1/namespaces/ns/secrets?watch=true&fieldSelector=metadata.name%3Dvol-secret", want: authz.Allow},
		{name: "list one configmap by name", method: "GET", url: "/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name%3Dproj-cm", want: authz.Allow},
		{name: "secret of a pod on node B", method: "GET", url: "/api/v1/namespaces/ns/secrets/b-secret", reason: noRelation},
		{name: "secret of a mirror pod", method: "GET", url: "/api/v1/namespaces/ns/secrets/mirror-secret", reason: noRelation},
		{name: "secret of an unscheduled pod", method: "GET", url: "/api/v1/namespaces/ns/secrets/pending-secret", reason: noRelation},
		{name: "same secret name in another namespace", method: "GET", url: "/api/v1/namespaces/other/secrets/vol-secret", reason: noRelation},
		{name: "unreferenced secret", method: "GET", url: "/api/v1/namespaces/ns/secrets/nothing", reason: noRelation},
		{name: "list secrets", method: "GET", url: "/api/v1/namespaces/ns/secrets", reason: "No Object name found"},
		{name: "list secrets of all namespaces", method: "GET", url: "/api/v1/secrets", reason: "can only read namespaced object of this type"},
		{name: "update a related secret", method: "PUT", url: "/api/v1/namespaces/ns/secrets/vol-secret", reason: "can only read resources of this type"},
		{name: "configmap subresource", method: "GET", url: "/api/v1/namespaces/ns/configmaps/proj-cm/status", reason: "cannot read subresource"},

		// Volumes.
		{name: "claim the pod mounts", method: "GET", url: "/api/v1/namespaces/ns/persistentvolumeclaims/claim-a", want: authz.Allow},
		{name: "generic ephemeral volume claim", method: "GET", url: "/api/v1/namespaces/ns/persistentvolumeclaims/web-scratch", want: authz.Allow},
		{name: "claim of a pod on node B", method: "GET", url: "/api/v1/namespaces/ns/persistentvolumeclaims/claim-b", reason: noRelation},
		{name: "claim status update", method: "PATCH", url: "/api/v1/namespaces/ns/persistentvolumeclaims/claim-a/status", want: authz.Allow},
		{name: "claim status get", method: "GET", url: "/api/v1/namespaces/ns/persistentvolumeclaims/claim-a/status", reason: "can only get/update/patch this type"},
		{name: "list claims", method: "GET", url: "/api/v1/namespaces/ns/persistentvolumeclaims", reason: "can only get individual resources of this type"},
		{name: "volume bound to the pod's claim", method: "GET", url: "/api/v1/persistentvolumes/pv-a", want: authz.Allow},
		{name: "volume bound to node B's claim", method: "GET", url: "/api/v1/persistentvolumes/pv-b", reason: noRelation},
		{name: "missing volume", method: "GET", url: "/api/v1/persistentvolumes/pv-gone", reason: noRelation},
		{name: "delete a volume", method: "DELETE", url: "/api/v1/persistentvolumes/pv-a", reason: "can only get individual resources of this type"},
		{name: "node secret of the bound volume", method: "GET", url: "/api/v1/namespaces/secrets-ns/secrets/pv-a-secret", want: authz.Allow},
		{name: "controller secret of the bound volume", method: "GET", url: "/api/v1/namespaces/secrets-ns/secrets/pv-a-controller-secret", reason: noRelation},
		{name: "node secret of node B's volume", method: "GET", url: "/api/v1/namespaces/secrets-ns/secrets/pv-b-secret", reason: noRelation},
		{name: "attachment to the node", method: "GET", url: "/apis/storage.k8s.io/v1/volumeattachments/va-a", want: authz.Allow},
		{name: "attachment to node B", method: "GET", url: "/apis/storage.k8s.io/v1/volumeattachments/va-b", reason: noRelation},
		{name: "attachment subresource", method: "GET", url: "/apis/storage.k8s.io/v1/volumeattachments/va-a/status", reason: "cannot get subresource"},

		// Service accounts and resource claims.
		{name: "token for the pod's service account", method: "POST", url: "/api/v1/namespaces/ns/serviceaccounts/web-sa/token", want: authz.Allow},
		{name: "token for node B's service account", method: "POST", url: "/api/v1/namespaces/ns/serviceaccounts/other-sa/token", reason: noRelation},
		{name: "get the pod's service account", method: "GET", url: "/api/v1/namespaces/ns/serviceaccounts/web-sa", want: authz.Allow},
		{name: "create a service account", method: "POST", url: "/api/v1/namespaces/ns/serviceaccounts", reason: "can only create tokens for individual service accounts"},
		{name: "update a service account", method: "PUT", url: "/api/v1/namespaces/ns/serviceaccounts/web-sa", reason: "can only create tokens for individual service accounts"},
		{name: "resource claim of the pod", method: "GET", url: "/apis/resource.k8s.io/v1/namespaces/ns/resourceclaims/shared-gpu", want: authz.Allow},
		{name: "unrelated resource claim", method: "GET", url: "/apis/resource.k8s.io/v1/namespaces/ns/resourceclaims/other-gpu", reason: noRelation},

		// Pods and nodes.
		{name: "pod bound to the node", method: "GET", url: "/api/v1/namespaces/ns/pods/web", want: authz.Allow},
		{name: "mirror pod bound to the node", method: "GET", url: "/api/v1/namespaces/ns/pods/static", want: authz.Allow},
		{name: "pod bound to node B", method: "GET", url: "/api/v1/namespaces/ns/pods/other", reason: noRelation},
		{name: "list pods on the node", method: "GET", url: "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a", want: authz.Allow},
		{name: "watch pods on the node with ==", method: "GET", url: "/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3D%3Dnode-a", want: authz.Allow},
		{name: "list pods on node B", method: "GET", url: "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-b", reason: "can only list/watch pods with spec.nodeName field selector"},
		{name: "list pods not on the node", method: "GET", url: "/api/v1/pods?fieldSelector=spec.nodeName!%3Dnode-a", reason: "can only list/watch pods with spec.nodeName field selector"},
		{name: "list all pods", method: "GET", url: "/api/v1/pods", reason: "can only list/watch pods with spec.nodeName field selector"},
		{name: "watch pods through the watch path", method: "GET", url: "/api/v1/watch/pods?fieldSelector=spec.nodeName%3Dnode-a", reason: "can only list/watch pods with spec.nodeName field selector"},
		{name: "list a related pod by name", method: "GET", url: "/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dweb", want: authz.Allow},
		{name: "create a mirror pod", method: "POST", url: "/api/v1/namespaces/ns/pods", want: authz.Allow},
		{name: "pod status", method: "PATCH", url: "/api/v1/namespaces/ns/pods/web/status", want: authz.Allow},
		{name: "evict a pod", method: "POST", url: "/api/v1/namespaces/ns/pods/web/eviction", want: authz.Allow},
		{name: "exec into a pod", method: "POST", url: "/api/v1/namespaces/ns/pods/web/exec"},
		{name: "its own node", method: "GET", url: "/api/v1/nodes/node-a", want: authz.Allow},
		{name: "another node", method: "GET", url: "/api/v1/nodes/node-b", reason: "node 'node-a' cannot read 'node-b', only its own Node object"},
		{name: "all nodes", method: "GET", url: "/api/v1/nodes", reason: "node 'node-a' cannot read all nodes, only its own Node object"},
		{name: "node status", method: "PUT", url: "/api/v1/nodes/node-a/status", want: authz.Allow},
		{name: "delete a node", method: "DELETE", url: "/api/v1/nodes/node-a"},

		// Leases, CSINodes, resource slices, pod certificate requests.
		{name: "its own lease", method: "GET", url: "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-a", want: authz.Allow},
		{name: "create a lease", method: "POST", url: "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", want: authz.Allow},
		{name: "node B's lease", method: "PUT", url: "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-b", reason: "can only access node lease with the same name as the requesting node"},
		{name: "lease elsewhere", method: "GET", url: "/apis/coordination.k8s.io/v1/namespaces/default/leases/node-a", reason: `can only access leases in the "kube-node-lease" system namespace`},
		{name: "list leases", method: "GET", url: "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", reason: "can only get, create, update, patch, or delete a node lease"},
		{name: "its own CSINode", method: "PATCH", url: "/apis/storage.k8s.io/v1/csinodes/node-a", want: authz.Allow},
		{name: "node B's CSINode", method: "GET", url: "/apis/storage.k8s.io/v1/csinodes/node-b", reason: "can only access CSINode with the same name as the requesting node"},
		{name: "CSINode status", method: "GET", url: "/apis/storage.k8s.io/v1/csinodes/node-a/status", reason: "CSINode status access requires CSIVolumeHealth feature"},
		{name: "its resource slice", method: "PUT", url: "/apis/resource.k8s.io/v1/resourceslices/slice-a", want: authz.Allow},
		{name: "node B's resource slice", method: "DELETE", url: "/apis/resource.k8s.io/v1/resourceslices/slice-b", reason: noRelation},
		{name: "create a resource slice", method: "POST", url: "/apis/resource.k8s.io/v1/resourceslices", want: authz.Allow},
		{name: "delete its slices", method: "DELETE", url: "/apis/resource.k8s.io/v1/resourceslices?fieldSelector=spec.nodeName%3Dnode-a", want: authz.Allow},
		{name: "list all slices", method: "GET", url: "/apis/resource.k8s.io/v1/resourceslices", reason: "can only list/watch/deletecollection resourceslices with nodeName field selector"},
		{name: "its pod certificate request", method: "GET", url: "/apis/certificates.k8s.io/v1/namespaces/ns/podcertificaterequests/pcr-a", want: authz.Allow},
		{name: "node B's pod certificate request", method: "GET", url: "/apis/certificates.k8s.io/v1/namespaces/ns/podcertificaterequests/pcr-b", reason: noRelation},
		{name: "watch its pod certificate requests", method: "GET", url: "/apis/certificates.k8s.io/v1/podcertificaterequests?watch=true&fieldSelector=spec.nodeName%3Dnode-a", want: authz.Allow},
		{name: "delete a pod certificate request", method: "DELETE", url: "/apis/certificates.k8s.io/v1/namespaces/ns/podcertificaterequests/pcr-a", reason: "nodes may not delete podcertificaterequests"},

		// Everything else: the system:node rules.
		{name: "rules: services", method: "GET", url: "/api/v1/services", want: authz.Allow},
		{name: "rules: events", method: "POST", url: "/apis/events.k8s.io/v1/namespaces/ns/events", want: authz.Allow},
		{name: "rules: certificate signing requests", method: "POST", url: "/apis/certificates.k8s.io/v1/certificatesigningrequests", want: authz.Allow},
		{name: "rules: runtime classes", method: "GET", url: "/apis/node.k8s.io/v1/runtimeclasses", want: authz.Allow},
		{name: "rules: deployments are not for nodes", method: "GET", url: "/apis/apps/v1/namespaces/ns/deployments"},
		{name: "rules: no non-resource URLs", method: "GET", url: "/healthz"},

		// Only nodes.
		{name: "non-node user", user: &request.User{Name: "alice", Groups: []string{"system:authenticated"}}, method: "GET", url: "/api/v1/namespaces/ns/secrets/vol-secret"},
		{name: "node name without the nodes group", user: &request.User{Name: "system:node:node-a", Groups: []string{"system:authenticated"}}, method: "GET", url: "/api/v1/namespaces/ns/secrets/vol-secret"},
		{name: "node without a name", user: &request.User{Name: "system:node:", Groups: []string{"system:nodes"}}, method: "GET", url: "/api/v1/nodes", reason: `unknown node for user "system:node:"`},
	}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			a := newAuthorizer(t, ts, mode.index)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					u := tc.user
					if u == nil {
						u = nodeA
					}
					d, reason, err := decide(t, a, u, tc.method, tc.url)
					if err != nil {
						t.Fatalf("error: %v", err)
					}
					if d != tc.want || reason != tc.reason {
						t.Errorf("%s %s: decision %v reason %q, want %v %q", tc.method, tc.url, d, reason, tc.want, tc.reason)
					}
				})
			}
		})
	}
}

// TestRelationshipsFollowTheCache: once a pod is deleted (and the watch cache saw it),
// its node loses what the pod gave it; a new pod grants again.
func TestRelationshipsFollowTheCache(t *testing.T) {
	for i, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			ts := startStores(t)
			a := newAuthorizer(t, ts, mode.index)
			ns := fmt.Sprintf("ns%d", i)
			url := "/api/v1/namespaces/" + ns + "/secrets/s1"
			allowed := func(want authz.Decision) func() bool {
				return func() bool { d, _, _ := decide(t, a, nodeA, "GET", url); return d == want }
			}
			ts.create(t, "pods", withSecretVolume(podOn(ns, "p1", "node-a"), "s", "s1"))
			eventually(t, allowed(authz.Allow))
			zero := int64(0)
			if _, _, err := ts.store("pods").Delete(context.Background(), ns, "p1", &metav1.DeleteOptions{GracePeriodSeconds: &zero}, nil, false); err != nil {
				t.Fatal(err)
			}
			eventually(t, allowed(authz.NoOpinion))
			// A claim generated from a template is related once the pod's status names it.
			p2 := podOn(ns, "p2", "node-a")
			p2.Spec.ResourceClaims = []corev1.PodResourceClaim{{Name: "gpu", ResourceClaimTemplateName: ptr("gpu-template")}}
			ts.create(t, "pods", p2)
			url = "/apis/resource.k8s.io/v1/namespaces/" + ns + "/resourceclaims/p2-gpu-x7k2p"
			eventually(t, allowed(authz.NoOpinion))
			if _, _, err := ts.store("pods").Update(context.Background(), ns, "p2", "status", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
				cur.(*corev1.Pod).Status.ResourceClaimStatuses = []corev1.PodResourceClaimStatus{{Name: "gpu", ResourceClaimName: ptr("p2-gpu-x7k2p")}}
				return cur, nil
			}, nil, nil, false, false); err != nil {
				t.Fatal(err)
			}
			eventually(t, allowed(authz.Allow))
		})
	}
}

func eventually(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestMissingStores: an authorizer without its stores answers with an error (a 500
// upstream of it), never a panic or an Allow.
func TestMissingStores(t *testing.T) {
	tests := []struct {
		name    string
		sources func() node.Sources
	}{
		{name: "no sources function"},
		{name: "empty sources", sources: func() node.Sources { return node.Sources{} }},
		{name: "typed nil stores", sources: func() node.Sources {
			var s *registry.Store
			return node.Sources{Pods: s, PersistentVolumes: s, VolumeAttachments: s, ResourceSlices: s, PodCertificateRequests: s}
		}},
	}
	urls := []string{
		"/api/v1/namespaces/ns/secrets/s", "/api/v1/namespaces/ns/pods/p", "/api/v1/persistentvolumes/pv",
		"/apis/storage.k8s.io/v1/volumeattachments/va", "/apis/resource.k8s.io/v1/resourceslices/rs",
		"/apis/certificates.k8s.io/v1/namespaces/ns/podcertificaterequests/pcr",
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := node.New(tc.sources)
			for _, url := range urls {
				d, reason, err := decide(t, a, nodeA, "GET", url)
				if d != authz.NoOpinion || err == nil || reason != noRelation {
					t.Errorf("GET %s: %v %q %v, want NoOpinion with an error", url, d, reason, err)
				}
			}
		})
	}
}

func TestRulesFor(t *testing.T) {
	a := node.New(nil)
	tests := []struct {
		name           string
		user           *request.User
		wantIncomplete bool
	}{
		{name: "node rules cannot be listed", user: nodeA, wantIncomplete: true},
		{name: "other users get none", user: &request.User{Name: "alice"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, nonRes, incomplete, err := a.RulesFor(context.Background(), tc.user, "ns")
			if len(res) != 0 || len(nonRes) != 0 || incomplete != tc.wantIncomplete || (err != nil) != tc.wantIncomplete {
				t.Errorf("RulesFor = %v %v %v %v, want no rules, incomplete=%v", res, nonRes, incomplete, err, tc.wantIncomplete)
			}
		})
	}
}
