package server_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// refKey is one line of ../shared/reference/etcd-keys.txt.
type refKey struct {
	key, encoding, apiVersion, kind string
}

func readRefKeys(t *testing.T) []refKey {
	t.Helper()
	f, err := os.Open("../../../shared/reference/etcd-keys.txt")
	if err != nil {
		t.Skipf("reference captures not available: %v", err)
	}
	defer f.Close()
	var out []refKey
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || !strings.Contains(fields[0], "/ref-") {
			continue
		}
		k := refKey{key: fields[0], encoding: fields[1], apiVersion: fields[2]}
		if len(fields) > 3 {
			k.kind = fields[3]
		}
		out = append(out, k)
	}
	return out
}

func readRefObjects(t *testing.T) map[string]*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile("testdata/ref-objects.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*unstructured.Unstructured{}
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatal(err)
		}
		out[u.GetKind()] = u
	}
	return out
}

// TestStorageLayoutMatchesUpstream writes one object of each reference kind through
// kapi and checks its etcd key, encoding and stored apiVersion/kind against what
// kube-apiserver v1.37.2 wrote.
func TestStorageLayoutMatchesUpstream(t *testing.T) {
	refs := readRefKeys(t)
	objects := readRefObjects(t)
	in := servertest.Start(t)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(in.Config)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ref"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	groups, err := restmapper.GetAPIGroupResources(discovery.NewDiscoveryClientForConfigOrDie(in.Config))
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDiscoveryRESTMapper(groups)
	dyn := dynamic.NewForConfigOrDie(in.Config)
	scheme := apis.NewScheme()
	proto := protobuf.NewSerializer(scheme, scheme)

	for _, ref := range refs {
		if ref.encoding != "protobuf" {
			continue // custom resources are the CRD work's
		}
		t.Run(ref.kind, func(t *testing.T) {
			obj := objects[ref.kind]
			if obj == nil {
				t.Fatalf("no sample object for %s in testdata/ref-objects.yaml", ref.kind)
			}
			gvk := obj.GroupVersionKind()
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				t.Skipf("%s is not served yet", gvk)
			}
			var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
			if m.Scope.Name() == "namespace" {
				ri = dyn.Resource(m.Resource).Namespace(obj.GetNamespace())
			}
			if _, err := ri.Create(ctx, obj.DeepCopy(), metav1.CreateOptions{}); err != nil {
				t.Fatalf("create: %v", err)
			}
			resp, err := in.Etcd.Get(ctx, ref.key)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Kvs) != 1 {
				t.Fatalf("no value at %s (upstream's key)", ref.key)
			}
			value := resp.Kvs[0].Value
			if !bytes.HasPrefix(value, []byte("k8s\x00")) {
				t.Fatalf("value at %s does not start with the k8s\\x00 envelope", ref.key)
			}
			decoded, gotGVK, err := proto.Decode(value, nil, nil)
			if err != nil {
				t.Fatalf("decoding the stored value as upstream would: %v", err)
			}
			if gotGVK.GroupVersion().String() != ref.apiVersion || gotGVK.Kind != ref.kind {
				t.Errorf("stored as %s, upstream stores %s %s", gotGVK, ref.apiVersion, ref.kind)
			}
			if acc, ok := decoded.(metav1.Object); !ok || acc.GetName() != obj.GetName() || acc.GetResourceVersion() != "" {
				t.Errorf("stored object %+v: want name %s and no resourceVersion in the value", decoded, obj.GetName())
			}
		})
	}
}

// TestReadsUpstreamValues puts values encoded the way kube-apiserver encodes them
// straight into etcd and reads them through kapi.
func TestReadsUpstreamValues(t *testing.T) {
	in := servertest.Start(t)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(in.Config)
	scheme := apis.NewScheme()
	proto := protobuf.NewSerializer(scheme, scheme)
	replicas := int32(3)
	tests := []struct {
		name  string
		key   string
		obj   runtime.Object
		gvk   schema.GroupVersionKind
		check func(t *testing.T)
	}{
		{
			name: "configmap", key: "/registry/configmaps/default/upstream-cm",
			obj: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "upstream-cm", Namespace: "default", UID: "u1"}, Data: map[string]string{"k": "v"}},
			gvk: corev1.SchemeGroupVersion.WithKind("ConfigMap"),
			check: func(t *testing.T) {
				cm, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "upstream-cm", metav1.GetOptions{})
				if err != nil || cm.Data["k"] != "v" || cm.UID != "u1" {
					t.Fatalf("got %+v, %v", cm, err)
				}
			},
		},
		{
			name: "deployment", key: "/registry/deployments/default/upstream-deploy",
			obj: &appsv1.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "upstream-deploy", Namespace: "default", UID: "u2"},
				Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "b"}},
						Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}},
			},
			gvk: appsv1.SchemeGroupVersion.WithKind("Deployment"),
			check: func(t *testing.T) {
				d, err := cs.AppsV1().Deployments("default").Get(ctx, "upstream-deploy", metav1.GetOptions{})
				if err != nil || d.Spec.Replicas == nil || *d.Spec.Replicas != 3 || d.UID != "u2" {
					t.Fatalf("got %+v, %v", d, err)
				}
				list, err := cs.AppsV1().Deployments("default").List(ctx, metav1.ListOptions{})
				if err != nil || len(list.Items) != 1 {
					t.Fatalf("list = %v, %v; want the upstream-written deployment", list, err)
				}
			},
		},
		{
			name: "node under minions", key: "/registry/minions/upstream-node",
			obj: &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "upstream-node", UID: "u3"}},
			gvk: corev1.SchemeGroupVersion.WithKind("Node"),
			check: func(t *testing.T) {
				if n, err := cs.CoreV1().Nodes().Get(ctx, "upstream-node", metav1.GetOptions{}); err != nil || n.UID != "u3" {
					t.Fatalf("got %+v, %v", n, err)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.obj.GetObjectKind().SetGroupVersionKind(tc.gvk)
			var buf bytes.Buffer
			if err := proto.Encode(tc.obj, &buf); err != nil {
				t.Fatal(err)
			}
			if _, err := in.Etcd.Put(ctx, tc.key, buf.String()); err != nil {
				t.Fatal(err)
			}
			tc.check(t)
		})
	}
}
