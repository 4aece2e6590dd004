package printers

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
)

// rsCol is a column's name, type, format and priority, what `kubectl get` shows.
type rsCol struct {
	name, typ, format string
	priority          int32
}

// TestRBACAndStorageTables checks the columns and cells of the rbac and storage
// tables against upstream's printers.
func TestRBACAndStorageTables(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clk := func() time.Time { return now }
	created := metav1.NewTime(now.Add(-5 * time.Hour))
	meta := metav1.ObjectMeta{Name: "x", CreationTimestamp: created}
	nameCol, ageCol := rsCol{"Name", "string", "name", 0}, rsCol{"Age", "string", "", 0}
	bindingCols := []rsCol{nameCol, {"Role", "string", "", 0}, ageCol,
		{"Users", "string", "", 1}, {"Groups", "string", "", 1}, {"ServiceAccounts", "string", "", 1}}
	subjects := []rbacv1.Subject{{Kind: "User", Name: "alice"}, {Kind: "User", Name: "bob"}, {Kind: "Group", Name: "devs"},
		{Kind: "ServiceAccount", Namespace: "kube-system", Name: "sa"}, {Kind: "Other", Name: "o"}}
	pv := "pv-1"
	tests := []struct {
		name    string
		table   *registry.Table
		obj     runtime.Object
		columns []rsCol
		want    []any
	}{
		{
			name: "role has the default table", table: Role(), obj: &rbacv1.Role{ObjectMeta: meta},
			columns: []rsCol{nameCol, {"Created At", "date", "", 0}}, want: []any{"x", "2026-01-01T22:04:05Z"},
		},
		{
			name: "cluster role has the default table", table: ClusterRole(), obj: &rbacv1.ClusterRole{ObjectMeta: meta},
			columns: []rsCol{nameCol, {"Created At", "date", "", 0}}, want: []any{"x", "2026-01-01T22:04:05Z"},
		},
		{
			name: "role binding with subjects of every kind", table: roleBindingTable(clk),
			obj:     &rbacv1.RoleBinding{ObjectMeta: meta, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}, Subjects: subjects},
			columns: bindingCols,
			want:    []any{"x", "ClusterRole/view", "5h", "alice, bob", "devs", "kube-system/sa"},
		},
		{
			name: "cluster role binding without subjects", table: clusterRoleBindingTable(clk),
			obj:     &rbacv1.ClusterRoleBinding{ObjectMeta: meta, RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "cluster-admin"}},
			columns: bindingCols,
			want:    []any{"x", "ClusterRole/cluster-admin", "5h", "", "", ""},
		},
		{
			name: "storage class before defaulting", table: storageClassTable(clk),
			obj: &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "x", CreationTimestamp: created,
				Annotations: map[string]string{defaultStorageClassAnnotation: "true"}}, Provisioner: "ebs.csi.aws.com"},
			columns: []rsCol{nameCol, {"Provisioner", "string", "", 0}, {"ReclaimPolicy", "string", "", 0},
				{"VolumeBindingMode", "string", "", 0}, {"AllowVolumeExpansion", "string", "", 0}, ageCol},
			want: []any{"x", "ebs.csi.aws.com", "Delete", "Immediate", false, "5h"},
		},
		{
			name: "storage class with explicit values", table: storageClassTable(clk),
			obj: &storagev1.StorageClass{ObjectMeta: meta, Provisioner: "p", ReclaimPolicy: ptrTo(corev1.PersistentVolumeReclaimRetain),
				VolumeBindingMode: ptrTo(storagev1.VolumeBindingWaitForFirstConsumer), AllowVolumeExpansion: ptrTo(true)},
			columns: []rsCol{nameCol, {"Provisioner", "string", "", 0}, {"ReclaimPolicy", "string", "", 0},
				{"VolumeBindingMode", "string", "", 0}, {"AllowVolumeExpansion", "string", "", 0}, ageCol},
			want: []any{"x", "p", "Retain", "WaitForFirstConsumer", true, "5h"},
		},
		{
			name: "volume attributes class", table: volumeAttributesClassTable(clk),
			obj:     &storagev1.VolumeAttributesClass{ObjectMeta: meta, DriverName: "d.example.com"},
			columns: []rsCol{nameCol, {"DriverName", "string", "", 0}, ageCol}, want: []any{"x", "d.example.com", "5h"},
		},
		{
			name: "volume attachment of a persistent volume", table: volumeAttachmentTable(clk),
			obj: &storagev1.VolumeAttachment{ObjectMeta: meta, Spec: storagev1.VolumeAttachmentSpec{Attacher: "a.example.com", NodeName: "n1",
				Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: &pv}}, Status: storagev1.VolumeAttachmentStatus{Attached: true}},
			columns: []rsCol{nameCol, {"Attacher", "string", "name", 0}, {"PV", "string", "", 0}, {"Node", "string", "", 0},
				{"Attached", "boolean", "", 0}, ageCol},
			want: []any{"x", "a.example.com", "pv-1", "n1", true, "5h"},
		},
		{
			name: "volume attachment of an inline volume", table: volumeAttachmentTable(clk),
			obj: &storagev1.VolumeAttachment{ObjectMeta: meta, Spec: storagev1.VolumeAttachmentSpec{Attacher: "a", NodeName: "n1",
				Source: storagev1.VolumeAttachmentSource{InlineVolumeSpec: &corev1.PersistentVolumeSpec{}}}},
			columns: []rsCol{nameCol, {"Attacher", "string", "name", 0}, {"PV", "string", "", 0}, {"Node", "string", "", 0},
				{"Attached", "boolean", "", 0}, ageCol},
			want: []any{"x", "a", "", "n1", false, "5h"},
		},
		{
			name: "csi node", table: csiNodeTable(clk),
			obj:     &storagev1.CSINode{ObjectMeta: meta, Spec: storagev1.CSINodeSpec{Drivers: make([]storagev1.CSINodeDriver, 2)}},
			columns: []rsCol{nameCol, {"Drivers", "integer", "", 0}, ageCol}, want: []any{"x", int64(2), "5h"},
		},
		{
			name: "csi driver before defaulting", table: csiDriverTable(clk), obj: &storagev1.CSIDriver{ObjectMeta: meta},
			columns: []rsCol{nameCol, {"AttachRequired", "boolean", "", 0}, {"PodInfoOnMount", "boolean", "", 0},
				{"StorageCapacity", "boolean", "", 0}, {"TokenRequests", "string", "", 0}, {"RequiresRepublish", "boolean", "", 0},
				{"Modes", "string", "", 0}, ageCol},
			want: []any{"x", true, false, false, "<unset>", false, "<none>", "5h"},
		},
		{
			name: "csi driver with tokens and modes", table: csiDriverTable(clk),
			obj: &storagev1.CSIDriver{ObjectMeta: meta, Spec: storagev1.CSIDriverSpec{AttachRequired: ptrTo(false), PodInfoOnMount: ptrTo(true),
				StorageCapacity: ptrTo(true), RequiresRepublish: ptrTo(true),
				TokenRequests:        []storagev1.TokenRequest{{Audience: "vault"}, {Audience: "aws"}},
				VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent, storagev1.VolumeLifecycleEphemeral}}},
			columns: []rsCol{nameCol, {"AttachRequired", "boolean", "", 0}, {"PodInfoOnMount", "boolean", "", 0},
				{"StorageCapacity", "boolean", "", 0}, {"TokenRequests", "string", "", 0}, {"RequiresRepublish", "boolean", "", 0},
				{"Modes", "string", "", 0}, ageCol},
			want: []any{"x", false, true, true, "vault,aws", true, "Persistent,Ephemeral", "5h"},
		},
		{
			name: "csi driver with an empty token request list", table: csiDriverTable(clk),
			obj: &storagev1.CSIDriver{ObjectMeta: meta, Spec: storagev1.CSIDriverSpec{TokenRequests: []storagev1.TokenRequest{}}},
			columns: []rsCol{nameCol, {"AttachRequired", "boolean", "", 0}, {"PodInfoOnMount", "boolean", "", 0},
				{"StorageCapacity", "boolean", "", 0}, {"TokenRequests", "string", "", 0}, {"RequiresRepublish", "boolean", "", 0},
				{"Modes", "string", "", 0}, ageCol},
			want: []any{"x", true, false, false, "", false, "<none>", "5h"},
		},
		{
			name: "csi storage capacity has the default table", table: CSIStorageCapacity(), obj: &storagev1.CSIStorageCapacity{ObjectMeta: meta},
			columns: []rsCol{nameCol, {"Created At", "date", "", 0}}, want: []any{"x", "2026-01-01T22:04:05Z"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cols []rsCol
			for _, c := range tc.table.Columns {
				cols = append(cols, rsCol{c.Name, c.Type, c.Format, c.Priority})
				if c.Description == "" {
					t.Errorf("column %s has no description", c.Name)
				}
			}
			if !reflect.DeepEqual(cols, tc.columns) {
				t.Errorf("columns %v, want %v", cols, tc.columns)
			}
			got, err := tc.table.Cells(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("cells %#v, want %#v", got, tc.want)
			}
		})
	}
	if _, err := roleBindingTable(clk).Cells(&rbacv1.Role{}); err == nil {
		t.Error("role binding table printed a Role")
	}
}

// TestEffectiveDefaultStorageClass follows upstream's choice of the class that
// gets " (default)" in a list: the newest annotated one, then the first by name.
func TestEffectiveDefaultStorageClass(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	class := func(name string, age time.Duration, ann string) storagev1.StorageClass {
		sc := storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(now.Add(-age))}, Provisioner: "p"}
		if ann != "" {
			sc.Annotations = map[string]string{ann: "true"}
		}
		return sc
	}
	tests := []struct {
		name  string
		items []storagev1.StorageClass
		want  string
	}{
		{"none annotated", []storagev1.StorageClass{class("a", time.Hour, "")}, ""},
		{"one annotated", []storagev1.StorageClass{class("a", time.Hour, ""), class("b", time.Hour, defaultStorageClassAnnotation)}, "b"},
		{"beta annotation counts", []storagev1.StorageClass{class("a", time.Hour, betaDefaultStorageClassAnnotation)}, "a"},
		{"newest wins", []storagev1.StorageClass{class("old", 2*time.Hour, defaultStorageClassAnnotation),
			class("new", time.Hour, defaultStorageClassAnnotation)}, "new"},
		{"same age, first name wins", []storagev1.StorageClass{class("b", time.Hour, defaultStorageClassAnnotation),
			class("a", time.Hour, defaultStorageClassAnnotation)}, "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := EffectiveDefaultStorageClass(tc.items); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			rows := storageClassListCells(func() time.Time { return now }, tc.items)
			for i, row := range rows {
				name := tc.items[i].Name
				if name == tc.want {
					name += " (default)"
				}
				if row[0] != name {
					t.Errorf("row %d name %v, want %q", i, row[0], name)
				}
			}
		})
	}
}
