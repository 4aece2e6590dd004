package builtin_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// rsResource is one rbac or storage resource driven through the whole stack.
type rsResource struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
	// body is the object without apiVersion, kind and metadata.
	body map[string]any
	// invalid breaks a copy of body; the create must fail with 422 and a cause on field.
	invalid func(map[string]any)
	field   string
	// returnsObject is whether DELETE answers with the deleted object.
	returnsObject bool
}

func rsResources() []rsResource {
	rbacGV := schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}
	storageGV := schema.GroupVersion{Group: "storage.k8s.io", Version: "v1"}
	rule := []any{map[string]any{"verbs": []any{"get"}, "apiGroups": []any{""}, "resources": []any{"pods"}}}
	return []rsResource{
		{gvr: rbacGV.WithResource("roles"), kind: "Role", namespaced: true,
			body: map[string]any{"rules": rule},
			invalid: func(m map[string]any) {
				m["rules"] = []any{map[string]any{"apiGroups": []any{""}, "resources": []any{"pods"}}}
			},
			field: "rules[0].verbs"},
		{gvr: rbacGV.WithResource("clusterroles"), kind: "ClusterRole",
			// The rules are what the aggregation (of no role) gives, so the aggregation
			// controller has nothing to apply: an apply racing the delete below would
			// create the role again.
			body: map[string]any{"rules": []any{},
				"aggregationRule": map[string]any{"clusterRoleSelectors": []any{map[string]any{"matchLabels": map[string]any{"a": "b"}}}}},
			invalid: func(m map[string]any) { m["aggregationRule"] = map[string]any{} },
			field:   "aggregationRule.clusterRoleSelectors"},
		{gvr: rbacGV.WithResource("rolebindings"), kind: "RoleBinding", namespaced: true,
			body: map[string]any{"roleRef": map[string]any{"kind": "Role", "name": "r"},
				"subjects": []any{map[string]any{"kind": "User", "name": "alice"}}},
			invalid: func(m map[string]any) { m["roleRef"] = map[string]any{"kind": "Secret", "name": "r"} },
			field:   "roleRef.kind"},
		{gvr: rbacGV.WithResource("clusterrolebindings"), kind: "ClusterRoleBinding",
			body: map[string]any{"roleRef": map[string]any{"kind": "ClusterRole", "name": "view"},
				"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "sa", "namespace": "default"}}},
			invalid: func(m map[string]any) { m["subjects"] = []any{map[string]any{"kind": "ServiceAccount", "name": "sa"}} },
			field:   "subjects[0].namespace"},
		{gvr: storageGV.WithResource("storageclasses"), kind: "StorageClass", returnsObject: true,
			body:    map[string]any{"provisioner": "ebs.csi.aws.com", "parameters": map[string]any{"type": "gp3"}},
			invalid: func(m map[string]any) { delete(m, "provisioner") },
			field:   "provisioner"},
		{gvr: storageGV.WithResource("csidrivers"), kind: "CSIDriver", returnsObject: true,
			body:    map[string]any{"spec": map[string]any{}},
			invalid: func(m map[string]any) { m["spec"] = map[string]any{"volumeLifecycleModes": []any{"Forever"}} },
			field:   "spec.volumeLifecycleModes"},
		{gvr: storageGV.WithResource("csinodes"), kind: "CSINode", returnsObject: true,
			body: map[string]any{"spec": map[string]any{"drivers": []any{map[string]any{"name": "ebs.csi.aws.com", "nodeID": "i-1"}}}},
			invalid: func(m map[string]any) {
				m["spec"] = map[string]any{"drivers": []any{map[string]any{"name": "ebs.csi.aws.com"}}}
			},
			field: "spec.drivers[0].nodeID"},
		{gvr: storageGV.WithResource("csistoragecapacities"), kind: "CSIStorageCapacity", namespaced: true,
			body:    map[string]any{"storageClassName": "fast", "capacity": "10Gi"},
			invalid: func(m map[string]any) { m["storageClassName"] = "Not_A_Name" },
			field:   "storageClassName"},
		{gvr: storageGV.WithResource("volumeattachments"), kind: "VolumeAttachment", returnsObject: true,
			body: map[string]any{"spec": map[string]any{"attacher": "ebs.csi.aws.com", "nodeName": "node-1",
				"source": map[string]any{"persistentVolumeName": "pv-1"}}},
			invalid: func(m map[string]any) { m["spec"].(map[string]any)["source"] = map[string]any{} },
			field:   "spec.source"},
		{gvr: storageGV.WithResource("volumeattributesclasses"), kind: "VolumeAttributesClass", returnsObject: true,
			body:    map[string]any{"driverName": "ebs.csi.aws.com", "parameters": map[string]any{"iops": "3000"}},
			invalid: func(m map[string]any) { delete(m, "parameters") },
			field:   "parameters"},
	}
}

func (r rsResource) object(t *testing.T, name string, body map[string]any) *unstructured.Unstructured {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["apiVersion"], m["kind"] = r.gvr.GroupVersion().String(), r.kind
	meta := map[string]any{"name": name}
	if r.namespaced {
		meta["namespace"] = "default"
	}
	m["metadata"] = meta
	return &unstructured.Unstructured{Object: m}
}

func (r rsResource) client(dyn dynamic.Interface) dynamic.ResourceInterface {
	if r.namespaced {
		return dyn.Resource(r.gvr).Namespace("default")
	}
	return dyn.Resource(r.gvr)
}

// rsCauseFields lists the fields of a 422's causes.
func rsCauseFields(err error) []string {
	var out []string
	if st, ok := err.(apierrors.APIStatus); ok && st.Status().Details != nil {
		for _, c := range st.Status().Details.Causes {
			out = append(out, c.Field)
		}
	}
	return out
}

// TestRBACAndStorageResources drives every rbac.authorization.k8s.io/v1 and
// storage.k8s.io/v1 resource through the whole stack: create, get, list, update,
// merge patch, the etcd key, delete (and its answer), a rejected create, and
// discovery against the reference kube-apiserver's.
func TestRBACAndStorageResources(t *testing.T) {
	in := servertest.Start(t)
	dyn := dynamic.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	for _, r := range rsResources() {
		t.Run(r.gvr.Resource, func(t *testing.T) {
			ri := r.client(dyn)
			name := "rs-" + r.gvr.Resource
			created, err := ri.Create(ctx, r.object(t, name, r.body), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if _, err := ri.Get(ctx, name, metav1.GetOptions{}); err != nil {
				t.Fatalf("get: %v", err)
			}
			list, err := ri.List(ctx, metav1.ListOptions{})
			if err != nil || !slices.ContainsFunc(list.Items, func(u unstructured.Unstructured) bool { return u.GetName() == name }) {
				t.Fatalf("list: %v, object missing", err)
			}
			created.SetAnnotations(map[string]string{"updated": "yes"})
			updated, err := ri.Update(ctx, created, metav1.UpdateOptions{})
			if err != nil || updated.GetAnnotations()["updated"] != "yes" {
				t.Fatalf("update: %v", err)
			}
			patched, err := ri.Patch(ctx, name, types.MergePatchType, []byte(`{"metadata":{"labels":{"patched":"yes"}}}`), metav1.PatchOptions{})
			if err != nil || patched.GetLabels()["patched"] != "yes" {
				t.Fatalf("patch: %v", err)
			}
			key := "/registry/" + r.gvr.Resource + "/" + name
			if r.namespaced {
				key = "/registry/" + r.gvr.Resource + "/default/" + name
			}
			if resp, err := in.Etcd.Get(ctx, key); err != nil || len(resp.Kvs) != 1 {
				t.Errorf("etcd key %s: %v", key, err)
			} else if v := resp.Kvs[0].Value; !strings.HasPrefix(string(v), "k8s\x00") || !strings.Contains(string(v), r.gvr.GroupVersion().String()) {
				t.Errorf("etcd value of %s is not a %s protobuf", key, r.gvr.GroupVersion())
			}

			req := kubernetes.NewForConfigOrDie(in.Config).Discovery().RESTClient().Delete().AbsPath(rsPath(r, name))
			raw, err := req.DoRaw(ctx)
			if err != nil {
				t.Fatalf("delete: %v", err)
			}
			var answer metav1.TypeMeta
			if err := json.Unmarshal(raw, &answer); err != nil {
				t.Fatal(err)
			}
			if gotObject := answer.Kind == r.kind; gotObject != r.returnsObject {
				t.Errorf("delete answered with kind %q, want the object: %v", answer.Kind, r.returnsObject)
			}
			if _, err := ri.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("get after delete: %v", err)
			}

			bad := map[string]any{}
			raw, _ = json.Marshal(r.body)
			_ = json.Unmarshal(raw, &bad)
			r.invalid(bad)
			_, err = ri.Create(ctx, r.object(t, "bad-"+r.gvr.Resource, bad), metav1.CreateOptions{})
			if !apierrors.IsInvalid(err) {
				t.Fatalf("invalid create: %v, want 422", err)
			}
			if causes := rsCauseFields(err); !slices.Contains(causes, r.field) {
				t.Errorf("invalid create causes %v, want one on %s (%v)", causes, r.field, err)
			}
		})
	}

	t.Run("discovery", func(t *testing.T) {
		disco := kubernetes.NewForConfigOrDie(in.Config).Discovery()
		for _, gv := range []string{"rbac.authorization.k8s.io/v1", "storage.k8s.io/v1"} {
			got, err := disco.ServerResourcesForGroupVersion(gv)
			if err != nil {
				t.Fatal(err)
			}
			file := "/work/shared/reference/discovery/apis_" + strings.NewReplacer(".", "_", "/", "_").Replace(gv) + ".json"
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Skipf("reference discovery not available: %v", err)
			}
			var want metav1.APIResourceList
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if len(got.APIResources) != len(want.APIResources) {
				t.Errorf("%s: %d resources, want %d", gv, len(got.APIResources), len(want.APIResources))
			}
			for _, w := range want.APIResources {
				i := slices.IndexFunc(got.APIResources, func(r metav1.APIResource) bool { return r.Name == w.Name })
				if i < 0 {
					t.Errorf("%s: %s missing", gv, w.Name)
					continue
				}
				g := got.APIResources[i]
				if g.SingularName != w.SingularName || g.Namespaced != w.Namespaced || g.Kind != w.Kind ||
					!slices.Equal(g.Verbs, w.Verbs) || !slices.Equal(g.ShortNames, w.ShortNames) ||
					!slices.Equal(g.Categories, w.Categories) || g.StorageVersionHash != w.StorageVersionHash {
					t.Errorf("%s %s:\n got %+v\nwant %+v", gv, w.Name, g, w)
				}
			}
		}
	})
}

func rsPath(r rsResource, name string) string {
	p := "/apis/" + r.gvr.GroupVersion().String() + "/"
	if r.namespaced {
		p += "namespaces/default/"
	}
	return p + r.gvr.Resource + "/" + name
}

// TestRBACBindingRules checks what is particular to RBAC objects: names with
// colons, defaulted apiGroups, create on PUT, and a roleRef that cannot change.
func TestRBACBindingRules(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	rbs := cs.RbacV1().RoleBindings("default")
	rb, err := rbs.Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "system:readers"},
		RoleRef:    rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "Group", Name: "devs"}, {Kind: "ServiceAccount", Name: "default"}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"apiGroups are defaulted", func(t *testing.T) {
			if rb.RoleRef.APIGroup != rbacv1.GroupName || rb.Subjects[0].APIGroup != rbacv1.GroupName || rb.Subjects[1].APIGroup != "" {
				t.Errorf("roleRef %+v subjects %+v", rb.RoleRef, rb.Subjects)
			}
		}},
		{"roleRef cannot change", func(t *testing.T) {
			c := rb.DeepCopy()
			c.RoleRef.Name = "edit"
			_, err := rbs.Update(ctx, c, metav1.UpdateOptions{})
			if !apierrors.IsInvalid(err) || !slices.Contains(rsCauseFields(err), "roleRef") || !strings.Contains(err.Error(), "field is immutable") {
				t.Errorf("update roleRef: %v, want 422 field is immutable on roleRef", err)
			}
		}},
		{"subjects may change without a resourceVersion", func(t *testing.T) {
			c := rb.DeepCopy()
			c.ResourceVersion = ""
			c.Subjects = c.Subjects[:1]
			got, err := rbs.Update(ctx, c, metav1.UpdateOptions{})
			if err != nil || len(got.Subjects) != 1 {
				t.Errorf("update subjects: %v", err)
			}
		}},
		{"PUT creates a missing cluster role", func(t *testing.T) {
			cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "system:put-created"},
				Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/version"}}}}
			if _, err := cs.RbacV1().ClusterRoles().Update(ctx, cr, metav1.UpdateOptions{}); err != nil {
				t.Fatalf("put: %v", err)
			}
			if _, err := cs.RbacV1().ClusterRoles().Get(ctx, cr.Name, metav1.GetOptions{}); err != nil {
				t.Errorf("get: %v", err)
			}
		}},
		{"server-side apply of a cluster role and a storage class", func(t *testing.T) {
			dyn := dynamic.NewForConfigOrDie(in.Config)
			for _, obj := range []*unstructured.Unstructured{
				{Object: map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
					"metadata": map[string]any{"name": "applied"},
					"rules":    []any{map[string]any{"verbs": []any{"get"}, "apiGroups": []any{""}, "resources": []any{"pods"}}}}},
				{Object: map[string]any{"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
					"metadata": map[string]any{"name": "applied"}, "provisioner": "example.com/p"}},
			} {
				gvr := schema.GroupVersionResource{Group: obj.GroupVersionKind().Group, Version: "v1", Resource: strings.ToLower(obj.GetKind()) + "s"}
				if obj.GetKind() == "StorageClass" {
					gvr.Resource = "storageclasses"
				}
				if _, err := dyn.Resource(gvr).Apply(ctx, "applied", obj, metav1.ApplyOptions{FieldManager: "test"}); err != nil {
					t.Errorf("apply %s: %v", obj.GetKind(), err)
				}
			}
		}},
		{"role names may not contain a slash", func(t *testing.T) {
			_, err := cs.RbacV1().Roles("default").Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "a%b"}}, metav1.CreateOptions{})
			if !apierrors.IsInvalid(err) || !slices.Contains(rsCauseFields(err), "metadata.name") {
				t.Errorf("create: %v, want 422 on metadata.name", err)
			}
		}},
		{"role binding table", func(t *testing.T) {
			raw, err := cs.RbacV1().RESTClient().Get().AbsPath("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings").
				SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var table metav1.Table
			if err := json.Unmarshal(raw, &table); err != nil {
				t.Fatal(err)
			}
			var cols []string
			for _, c := range table.ColumnDefinitions {
				cols = append(cols, c.Name)
			}
			if !slices.Equal(cols, []string{"Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"}) || len(table.Rows) != 1 ||
				table.Rows[0].Cells[1] != "ClusterRole/view" {
				t.Errorf("table columns %v rows %+v", cols, table.Rows)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.check)
	}
}

// TestStorageGroupRules checks StorageClass defaults and immutability, CSIDriver
// defaults and generation, and the VolumeAttachment and CSINode status subresources.
func TestStorageGroupRules(t *testing.T) {
	in := servertest.Start(t)
	st := kubernetes.NewForConfigOrDie(in.Config).StorageV1()
	ctx := context.Background()
	sc, err := st.StorageClasses().Create(ctx, &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "fast"},
		Provisioner: "ebs.csi.aws.com", Parameters: map[string]string{"type": "gp3"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	driver, err := st.CSIDrivers().Create(ctx, &storagev1.CSIDriver{ObjectMeta: metav1.ObjectMeta{Name: "ebs.csi.aws.com"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pv := "pv-1"
	va, err := st.VolumeAttachments().Create(ctx, &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "csi-1"},
		Spec:   storagev1.VolumeAttachmentSpec{Attacher: "ebs.csi.aws.com", NodeName: "node-1", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}},
		Status: storagev1.VolumeAttachmentStatus{Attached: true}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		check func(t *testing.T)
	}{
		{"storage class defaults", func(t *testing.T) {
			if sc.ReclaimPolicy == nil || *sc.ReclaimPolicy != "Delete" || sc.VolumeBindingMode == nil || *sc.VolumeBindingMode != storagev1.VolumeBindingImmediate {
				t.Errorf("reclaimPolicy %v volumeBindingMode %v", sc.ReclaimPolicy, sc.VolumeBindingMode)
			}
		}},
		{"storage class parameters are immutable", func(t *testing.T) {
			c := sc.DeepCopy()
			c.Parameters = map[string]string{"type": "io2"}
			_, err := st.StorageClasses().Update(ctx, c, metav1.UpdateOptions{})
			if !apierrors.IsInvalid(err) || !slices.Contains(rsCauseFields(err), "parameters") {
				t.Errorf("update: %v, want 422 on parameters", err)
			}
		}},
		{"csi driver defaults", func(t *testing.T) {
			s := driver.Spec
			if s.AttachRequired == nil || !*s.AttachRequired || s.PodInfoOnMount == nil || *s.PodInfoOnMount || s.FSGroupPolicy == nil ||
				*s.FSGroupPolicy != storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy || !slices.Equal(s.VolumeLifecycleModes, []storagev1.VolumeLifecycleMode{"Persistent"}) ||
				s.SELinuxMount == nil || s.StorageCapacity == nil || s.RequiresRepublish == nil {
				t.Errorf("spec %+v", s)
			}
		}},
		{"csi driver spec change bumps generation", func(t *testing.T) {
			c := driver.DeepCopy()
			c.Spec.PodInfoOnMount = new(bool)
			*c.Spec.PodInfoOnMount = true
			got, err := st.CSIDrivers().Update(ctx, c, metav1.UpdateOptions{})
			if err != nil || got.Generation != driver.Generation+1 {
				t.Errorf("update: %v, generation %d", err, got.Generation)
			}
		}},
		{"csi driver update needs a resourceVersion", func(t *testing.T) {
			c, _ := st.CSIDrivers().Get(ctx, driver.Name, metav1.GetOptions{})
			c.ResourceVersion = ""
			if _, err := st.CSIDrivers().Update(ctx, c, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) {
				t.Errorf("update: %v, want 422", err)
			}
		}},
		{"volume attachment status is set through status only", func(t *testing.T) {
			if va.Status.Attached {
				t.Fatalf("status kept on create: %+v", va.Status)
			}
			c := va.DeepCopy()
			c.Status.Attached = true
			got, err := st.VolumeAttachments().UpdateStatus(ctx, c, metav1.UpdateOptions{})
			if err != nil || !got.Status.Attached {
				t.Fatalf("update status: %v", err)
			}
			got.Status.Attached = false
			got.Labels = map[string]string{"x": "y"}
			again, err := st.VolumeAttachments().Update(ctx, got, metav1.UpdateOptions{})
			if err != nil || !again.Status.Attached || again.Labels["x"] != "y" {
				t.Errorf("main update: %v, status %+v", err, again.Status)
			}
		}},
		{"volume attachment spec is immutable", func(t *testing.T) {
			c, _ := st.VolumeAttachments().Get(ctx, va.Name, metav1.GetOptions{})
			c.Spec.NodeName = "node-2"
			if _, err := st.VolumeAttachments().Update(ctx, c, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) || !slices.Contains(rsCauseFields(err), "spec") {
				t.Errorf("update: %v, want 422 on spec", err)
			}
		}},
		{"csi node status drops storage health while CSIVolumeHealth is off", func(t *testing.T) {
			n, err := st.CSINodes().Create(ctx, &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: "node-1"}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			n.Status.StorageHealth = []storagev1.StorageHealth{{Name: "ebs.csi.aws.com"}}
			got, err := st.CSINodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
			if err != nil || len(got.Status.StorageHealth) != 0 {
				t.Errorf("update status: %v, %+v", err, got.Status)
			}
		}},
		{"volume attributes class driver is immutable", func(t *testing.T) {
			vac, err := st.VolumeAttributesClasses().Create(ctx, &storagev1.VolumeAttributesClass{ObjectMeta: metav1.ObjectMeta{Name: "gold"},
				DriverName: "ebs.csi.aws.com", Parameters: map[string]string{"iops": "3000"}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			vac.DriverName = "other.example.com"
			if _, err := st.VolumeAttributesClasses().Update(ctx, vac, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) || !slices.Contains(rsCauseFields(err), "driverName") {
				t.Errorf("update: %v, want 422 on driverName", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, tc.check)
	}
}
