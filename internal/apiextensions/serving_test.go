package apiextensions_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

var (
	crdGVR     = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	crontabsV1 = schema.GroupVersionResource{Group: "stable.example.com", Version: "v1", Resource: "crontabs"}
	crontabsV2 = schema.GroupVersionResource{Group: "stable.example.com", Version: "v2", Resource: "crontabs"}
)

// startWithCronTabs runs kapi without controllers and registers the CronTab CRD of
// testdata, waiting until it is Established.
func startWithCronTabs(t *testing.T) (*servertest.Instance, *dynamic.DynamicClient) {
	t.Helper()
	in := servertest.StartWith(t, func(c *server.Config) { c.Controllers = []string{} })
	dyn := dynamic.NewForConfigOrDie(in.Config)
	createCRD(t, dyn, "testdata/crontab-crd.yaml")
	return in, dyn
}

func createCRD(t *testing.T, dyn dynamic.Interface, file string) *unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	crd := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &crd.Object); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	if _, err := dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitEstablished(t, dyn, crd.GetName())
	// Established comes within a second on an idle machine; the bound leaves room
	// for the race detector on a loaded CI machine.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("CRD established after %v, want within seconds", d)
	}
	return crd
}

func waitEstablished(t *testing.T, dyn dynamic.Interface, name string) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		conds, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
		for _, c := range conds {
			m := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("CRD %s not established: %v", name, err)
	}
}

func cronTab(name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stable.example.com/v1", "kind": "CronTab",
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}
}

func TestCustomResourceCRUD(t *testing.T) {
	in, dyn := startWithCronTabs(t)
	ctx := context.Background()
	ct := dyn.Resource(crontabsV1).Namespace("default")

	created, err := ct.Create(ctx, cronTab("a", map[string]any{"cronSpec": "* * * * */5", "image": "img", "replicas": int64(2), "junk": "x"}), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, _ := unstructured.NestedString(created.Object, "spec", "junk"); found {
		t.Errorf("unknown field spec.junk was not pruned: %v", created.Object["spec"])
	}
	if color, _, _ := unstructured.NestedString(created.Object, "spec", "color"); color != "blue" {
		t.Errorf("spec.color = %q, want the default blue", color)
	}
	if created.GetGeneration() != 1 || created.GetUID() == "" {
		t.Errorf("generation %d uid %q", created.GetGeneration(), created.GetUID())
	}

	// Stored as JSON at the upstream key, in the storage version.
	resp, err := in.Etcd.Get(ctx, "/registry/stable.example.com/crontabs/default/a")
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("etcd key: %v %v", resp, err)
	}
	var stored map[string]any
	if err := json.Unmarshal(resp.Kvs[0].Value, &stored); err != nil {
		t.Fatalf("stored value is not JSON: %v", err)
	}
	if stored["apiVersion"] != "stable.example.com/v1" || stored["kind"] != "CronTab" {
		t.Errorf("stored as %v %v", stored["apiVersion"], stored["kind"])
	}

	// Served in v2 too (conversion None rewrites apiVersion).
	v2, err := dyn.Resource(crontabsV2).Namespace("default").Get(ctx, "a", metav1.GetOptions{})
	if err != nil || v2.GetAPIVersion() != "stable.example.com/v2" {
		t.Fatalf("v2 get: %v %v", v2, err)
	}

	// Merge and JSON patches; strategic merge is refused.
	if _, err := ct.Patch(ctx, "a", types.MergePatchType, []byte(`{"spec":{"image":"img2"}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	patched, err := ct.Patch(ctx, "a", types.JSONPatchType, []byte(`[{"op":"replace","path":"/spec/replicas","value":3}]`), metav1.PatchOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if patched.GetGeneration() != 3 {
		t.Errorf("generation after two spec patches = %d, want 3", patched.GetGeneration())
	}
	_, err = ct.Patch(ctx, "a", types.StrategicMergePatchType, []byte(`{"spec":{"image":"x"}}`), metav1.PatchOptions{})
	if !apierrors.IsUnsupportedMediaType(err) {
		t.Errorf("strategic merge patch: %v, want 415", err)
	}

	// Server-side apply creates and merges.
	applied, err := ct.Apply(ctx, "b", cronTab("b", map[string]any{"cronSpec": "* * * * *", "replicas": int64(1)}), metav1.ApplyOptions{FieldManager: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(applied.GetManagedFields()) != 1 || applied.GetManagedFields()[0].Manager != "test" {
		t.Errorf("managed fields after apply: %+v", applied.GetManagedFields())
	}

	list, err := ct.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 2 || list.GetKind() != "CronTabList" {
		t.Fatalf("list: %v items, kind %q, %v", len(list.Items), list.GetKind(), err)
	}
	if err := ct.Delete(ctx, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.Get(ctx, "a", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get after delete: %v", err)
	}
}

func TestCustomResourceValidation(t *testing.T) {
	_, dyn := startWithCronTabs(t)
	ct := dyn.Resource(crontabsV1).Namespace("default")
	cases := []struct {
		name string
		spec map[string]any
		want string
	}{
		{"pattern", map[string]any{"cronSpec": "bad"}, `spec.cronSpec: Invalid value: "bad": spec.cronSpec in body should match`},
		{"type", map[string]any{"replicas": "two"}, `spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`},
		{"maximum", map[string]any{"replicas": int64(11)}, `spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10`},
		{"cel rule", map[string]any{"image": "forbidden"}, `image may not be forbidden`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ct.Create(context.Background(), cronTab("x-"+strings.ReplaceAll(tc.name, " ", "-"), tc.spec), metav1.CreateOptions{})
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want 422 containing %q", err, tc.want)
			}
		})
	}
	// Strict field validation reports unknown fields.
	_, err := ct.Create(context.Background(), cronTab("strict", map[string]any{"junk": int64(1)}), metav1.CreateOptions{FieldValidation: "Strict"})
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `unknown field "spec.junk"`) {
		t.Errorf("strict create: %v", err)
	}
}

func TestCustomResourceSubresources(t *testing.T) {
	_, dyn := startWithCronTabs(t)
	ctx := context.Background()
	ct := dyn.Resource(crontabsV1).Namespace("default")
	obj := cronTab("s", map[string]any{"replicas": int64(2)})
	obj.Object["status"] = map[string]any{"replicas": int64(9)}
	created, err := ct.Create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, found := created.Object["status"]; found {
		t.Errorf("create kept status: %v", created.Object["status"])
	}
	created.Object["status"] = map[string]any{"replicas": int64(2), "labelSelector": "app=x"}
	withStatus, err := ct.UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if withStatus.GetGeneration() != 1 {
		t.Errorf("status update bumped generation to %d", withStatus.GetGeneration())
	}
	scale, err := ct.Get(ctx, "s", metav1.GetOptions{}, "scale")
	if err != nil {
		t.Fatal(err)
	}
	if scale.GetKind() != "Scale" || scale.Object["spec"].(map[string]any)["replicas"] != int64(2) ||
		scale.Object["status"].(map[string]any)["selector"] != "app=x" {
		t.Errorf("scale: %v", scale.Object)
	}
	if _, err := ct.Patch(ctx, "s", types.MergePatchType, []byte(`{"spec":{"replicas":5}}`), metav1.PatchOptions{}, "scale"); err != nil {
		t.Fatal(err)
	}
	got, _ := ct.Get(ctx, "s", metav1.GetOptions{})
	if r, _, _ := unstructured.NestedInt64(got.Object, "spec", "replicas"); r != 5 {
		t.Errorf("spec.replicas after scale = %d", r)
	}
}

func TestCustomResourceWatchAndSelectors(t *testing.T) {
	_, dyn := startWithCronTabs(t)
	ctx := context.Background()
	ct := dyn.Resource(crontabsV1).Namespace("default")
	w, err := ct.Watch(ctx, metav1.ListOptions{FieldSelector: "spec.color=red"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for _, c := range []struct{ name, color string }{{"red1", "red"}, {"green1", "green"}} {
		if _, err := ct.Create(ctx, cronTab(c.name, map[string]any{"color": c.color}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case ev := <-w.ResultChan():
		if ev.Type != watch.Added || ev.Object.(*unstructured.Unstructured).GetName() != "red1" {
			t.Errorf("event %v %v", ev.Type, ev.Object)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event")
	}
	list, err := ct.List(ctx, metav1.ListOptions{FieldSelector: "spec.color=green"})
	if err != nil || len(list.Items) != 1 || list.Items[0].GetName() != "green1" {
		t.Errorf("field selector list: %v %v", list, err)
	}
	if _, err := ct.List(ctx, metav1.ListOptions{FieldSelector: "spec.image=x"}); !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "field label not supported: spec.image") {
		t.Errorf("unsupported field selector: %v", err)
	}
}

func TestCustomResourceTableAndDiscovery(t *testing.T) {
	in, dyn := startWithCronTabs(t)
	ctx := context.Background()
	if _, err := dyn.Resource(crontabsV1).Namespace("default").Create(ctx, cronTab("t", map[string]any{"cronSpec": "* * * * *", "replicas": int64(4)}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hc := in.HTTPClient(t)
	get := func(path, accept string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, in.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return out
	}
	table := get("/apis/stable.example.com/v1/namespaces/default/crontabs", "application/json;as=Table;g=meta.k8s.io;v=v1")
	var cols []string
	for _, c := range table["columnDefinitions"].([]any) {
		cols = append(cols, c.(map[string]any)["name"].(string))
	}
	if strings.Join(cols, ",") != "Name,Spec,Replicas,Age" {
		t.Errorf("columns %v", cols)
	}
	row := table["rows"].([]any)[0].(map[string]any)["cells"].([]any)
	if row[0] != "t" || row[1] != "* * * * *" || row[2] != float64(4) {
		t.Errorf("row %v", row)
	}
	rl := get("/apis/stable.example.com/v1", "")
	found := false
	for _, r := range rl["resources"].([]any) {
		m := r.(map[string]any)
		if m["name"] == "crontabs" {
			found = true
			if m["kind"] != "CronTab" || m["namespaced"] != true {
				t.Errorf("discovery entry %v", m)
			}
		}
	}
	if !found {
		t.Errorf("crontabs missing from discovery: %v", rl)
	}
}

func TestCustomResourceDefinitionDeletion(t *testing.T) {
	_, dyn := startWithCronTabs(t)
	ctx := context.Background()
	ct := dyn.Resource(crontabsV1).Namespace("default")
	for _, n := range []string{"d1", "d2", "d3"} {
		if _, err := ct.Create(ctx, cronTab(n, map[string]any{}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := dyn.Resource(crdGVR).Delete(ctx, "crontabs.stable.example.com", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(crdGVR).Get(ctx, "crontabs.stable.example.com", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("CRD not deleted: %v", err)
	}
	// The endpoints go when the CRD controller sees the deletion, a moment after
	// the CRD leaves storage (as upstream's handler, whose informer lags the same way).
	var listErr error
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
		_, listErr = ct.List(ctx, metav1.ListOptions{})
		return apierrors.IsNotFound(listErr), nil
	})
	if err != nil {
		t.Errorf("list after CRD deletion: %v, want 404", listErr)
	}
	createCRD(t, dyn, "testdata/crontab-crd.yaml")
	list, err := ct.List(ctx, metav1.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("recreated CRD lists %v, %v; want empty", list, err)
	}
}

// TestClusterScopedCustomResources covers a cluster-scoped CRD with a custom list
// kind and a deprecated version: namespaced paths are refused, lists carry the list
// kind, the deprecated version warns, metadata-only reads work, and the group is in
// aggregated discovery.
func TestClusterScopedCustomResources(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) { c.Controllers = []string{} })
	dyn := dynamic.NewForConfigOrDie(in.Config)
	createCRD(t, dyn, "testdata/gizmo-crd.yaml")
	ctx := context.Background()
	v1 := schema.GroupVersionResource{Group: "tools.example.com", Version: "v1", Resource: "gizmos"}
	obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "tools.example.com/v1", "kind": "Gizmo",
		"metadata": map[string]any{"name": "g1"}, "anything": map[string]any{"kept": true}}}
	if _, err := dyn.Resource(v1).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hc := in.HTTPClient(t)
	cases := []struct {
		name, path, accept string
		code               int
		want, warning      string
	}{
		{"list kind", "/apis/tools.example.com/v1/gizmos", "", http.StatusOK, `"kind":"GizmoCollection"`, ""},
		{"preserved fields", "/apis/tools.example.com/v1/gizmos/g1", "", http.StatusOK, `"kept":true`, ""},
		{"deprecated version", "/apis/tools.example.com/v1beta1/gizmos/g1", "", http.StatusOK, `"apiVersion":"tools.example.com/v1beta1"`,
			"tools.example.com/v1beta1 Gizmo is deprecated; use tools.example.com/v1 Gizmo"},
		{"namespaced path", "/apis/tools.example.com/v1/namespaces/default/gizmos", "", http.StatusNotFound, `"reason":"NotFound"`, ""},
		{"metadata only", "/apis/tools.example.com/v1/gizmos/g1", "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1", http.StatusOK, `"kind":"PartialObjectMetadata"`, ""},
		{"protobuf falls back to json", "/apis/tools.example.com/v1/gizmos/g1", "application/vnd.kubernetes.protobuf,application/json", http.StatusOK, `"kind":"Gizmo"`, ""},
		{"protobuf only", "/apis/tools.example.com/v1/gizmos/g1", "application/vnd.kubernetes.protobuf", http.StatusNotAcceptable, "", ""},
		{"aggregated discovery", "/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", http.StatusOK, `"resource":"gizmos"`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, in.URL+tc.path, nil)
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body := new(strings.Builder)
			_, _ = io.Copy(body, resp.Body)
			if resp.StatusCode != tc.code || !strings.Contains(body.String(), tc.want) {
				t.Errorf("%d %s, want %d containing %s", resp.StatusCode, body, tc.code, tc.want)
			}
			if tc.warning != "" && !strings.Contains(resp.Header.Get("Warning"), tc.warning) {
				t.Errorf("Warning %q, want %q", resp.Header.Get("Warning"), tc.warning)
			}
		})
	}
}

// TestCustomResourceApplyInServedVersions: server-side apply and updates work in
// every served version, not only the storage one, and each manager's fields are
// recorded in the version it wrote, as upstream: an apply at v2 of a CRD stored at
// v1 creates the object, an update at v1 is recorded at v1, and a conflicting apply
// through v1 names the v2 manager.
func TestCustomResourceApplyInServedVersions(t *testing.T) {
	_, dyn := startWithCronTabs(t)
	ctx := context.Background()
	v1 := dyn.Resource(crontabsV1).Namespace("default")
	v2 := dyn.Resource(crontabsV2).Namespace("default")
	versionOf := func(obj *unstructured.Unstructured, manager string) string {
		for _, e := range obj.GetManagedFields() {
			if e.Manager == manager {
				return e.APIVersion
			}
		}
		return ""
	}

	applied := cronTab("a", map[string]any{"cronSpec": "* * * * */5", "replicas": int64(2)})
	applied.SetAPIVersion("stable.example.com/v2")
	got, err := v2.Apply(ctx, "a", applied, metav1.ApplyOptions{FieldManager: "v2-applier"})
	if err != nil {
		t.Fatalf("apply at the served, non-storage version: %v", err)
	}
	if got.GetAPIVersion() != "stable.example.com/v2" || versionOf(got, "v2-applier") != "stable.example.com/v2" {
		t.Errorf("apply at v2 answered %s with the manager at %q, want both v2", got.GetAPIVersion(), versionOf(got, "v2-applier"))
	}

	cur, err := v1.Get(ctx, "a", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := unstructured.SetNestedField(cur.Object, "img", "spec", "image"); err != nil {
		t.Fatal(err)
	}
	updated, err := v1.Update(ctx, cur, metav1.UpdateOptions{FieldManager: "v1-updater"})
	if err != nil {
		t.Fatal(err)
	}
	if v := versionOf(updated, "v1-updater"); v != "stable.example.com/v1" {
		t.Errorf("update at v1 recorded at %q, want stable.example.com/v1", v)
	}
	if v := versionOf(updated, "v2-applier"); v != "stable.example.com/v2" {
		t.Errorf("after an update at v1 the v2 applier is recorded at %q, want stable.example.com/v2", v)
	}

	conflicting := cronTab("a", map[string]any{"replicas": int64(3)})
	_, err = v1.Apply(ctx, "a", conflicting, metav1.ApplyOptions{FieldManager: "v1-applier"})
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `conflict with "v2-applier"`) || !strings.Contains(err.Error(), ".spec.replicas") {
		t.Errorf("apply at v1 over the v2 applier's field: %v, want a conflict with v2-applier on .spec.replicas", err)
	}
	forced, err := v1.Apply(ctx, "a", conflicting, metav1.ApplyOptions{FieldManager: "v1-applier", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := unstructured.NestedInt64(forced.Object, "spec", "replicas"); r != 3 || versionOf(forced, "v1-applier") != "stable.example.com/v1" {
		t.Errorf("forced apply at v1: replicas %d, manager at %q", r, versionOf(forced, "v1-applier"))
	}
}
