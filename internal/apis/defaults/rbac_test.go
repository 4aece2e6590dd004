package defaults

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
)

func rsPtr[T any](v T) *T { return &v }

// TestRBACAndStorageDefaults covers the defaults of rbac.authorization.k8s.io/v1
// and storage.k8s.io/v1, as upstream's SetDefaults functions of those groups.
func TestRBACAndStorageDefaults(t *testing.T) {
	s := runtime.NewScheme()
	Register(s)
	const group = rbacv1.GroupName
	defaultedDriver := storagev1.CSIDriverSpec{
		AttachRequired: rsPtr(true), PodInfoOnMount: rsPtr(false), StorageCapacity: rsPtr(false),
		FSGroupPolicy:        rsPtr(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy),
		VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent},
		RequiresRepublish:    rsPtr(false), SELinuxMount: rsPtr(false), PreventPodSchedulingIfMissing: rsPtr(false),
	}
	tests := []struct {
		name    string
		in, out runtime.Object
	}{
		{
			name: "role binding gets the rbac group on roleRef and on users and groups",
			in: &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"}, Subjects: []rbacv1.Subject{
				{Kind: "User", Name: "alice"}, {Kind: "Group", Name: "devs"}, {Kind: "ServiceAccount", Name: "sa", Namespace: "ns"},
				{Kind: "Other", Name: "x"}}},
			out: &rbacv1.RoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: group, Kind: "Role", Name: "r"}, Subjects: []rbacv1.Subject{
				{Kind: "User", APIGroup: group, Name: "alice"}, {Kind: "Group", APIGroup: group, Name: "devs"},
				{Kind: "ServiceAccount", Name: "sa", Namespace: "ns"}, {Kind: "Other", Name: "x"}}},
		},
		{
			name: "cluster role binding keeps an explicit apiGroup",
			in: &rbacv1.ClusterRoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: "example.com", Kind: "ClusterRole", Name: "r"},
				Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "example.com", Name: "bob"}}},
			out: &rbacv1.ClusterRoleBinding{RoleRef: rbacv1.RoleRef{APIGroup: "example.com", Kind: "ClusterRole", Name: "r"},
				Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "example.com", Name: "bob"}}},
		},
		{
			name: "role binding list items",
			in:   &rbacv1.RoleBindingList{Items: []rbacv1.RoleBinding{{RoleRef: rbacv1.RoleRef{Kind: "Role", Name: "r"}}}},
			out:  &rbacv1.RoleBindingList{Items: []rbacv1.RoleBinding{{RoleRef: rbacv1.RoleRef{APIGroup: group, Kind: "Role", Name: "r"}}}},
		},
		{
			name: "roles are not defaulted",
			in:   &rbacv1.ClusterRole{Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}}}},
			out:  &rbacv1.ClusterRole{Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}}}},
		},
		{
			name: "storage class reclaim policy and binding mode",
			in:   &storagev1.StorageClass{Provisioner: "p"},
			out: &storagev1.StorageClass{Provisioner: "p", ReclaimPolicy: rsPtr(corev1.PersistentVolumeReclaimDelete),
				VolumeBindingMode: rsPtr(storagev1.VolumeBindingImmediate)},
		},
		{
			name: "storage class keeps explicit values",
			in: &storagev1.StorageClass{Provisioner: "p", ReclaimPolicy: rsPtr(corev1.PersistentVolumeReclaimRetain),
				VolumeBindingMode: rsPtr(storagev1.VolumeBindingWaitForFirstConsumer)},
			out: &storagev1.StorageClass{Provisioner: "p", ReclaimPolicy: rsPtr(corev1.PersistentVolumeReclaimRetain),
				VolumeBindingMode: rsPtr(storagev1.VolumeBindingWaitForFirstConsumer)},
		},
		{
			name: "csi driver gets every switch",
			in:   &storagev1.CSIDriver{},
			out:  &storagev1.CSIDriver{Spec: defaultedDriver},
		},
		{
			name: "csi driver keeps explicit values",
			in: &storagev1.CSIDriver{Spec: storagev1.CSIDriverSpec{AttachRequired: rsPtr(false),
				VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecycleEphemeral}}},
			out: func() runtime.Object {
				spec := *defaultedDriver.DeepCopy()
				spec.AttachRequired = rsPtr(false)
				spec.VolumeLifecycleModes = []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecycleEphemeral}
				return &storagev1.CSIDriver{Spec: spec}
			}(),
		},
		{
			name: "volume attachment inline spec source",
			in: &storagev1.VolumeAttachment{Spec: storagev1.VolumeAttachmentSpec{Source: storagev1.VolumeAttachmentSource{
				InlineVolumeSpec: &corev1.PersistentVolumeSpec{
					Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("0.0001")},
					PersistentVolumeSource: corev1.PersistentVolumeSource{ISCSI: &corev1.ISCSIPersistentVolumeSource{}}}}}},
			out: &storagev1.VolumeAttachment{Spec: storagev1.VolumeAttachmentSpec{Source: storagev1.VolumeAttachmentSource{
				InlineVolumeSpec: &corev1.PersistentVolumeSpec{
					Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1m")},
					PersistentVolumeSource: corev1.PersistentVolumeSource{ISCSI: &corev1.ISCSIPersistentVolumeSource{ISCSIInterface: "default"}}}}}},
		},
		{
			name: "volume attachment by persistent volume name is untouched",
			in:   &storagev1.VolumeAttachment{Spec: storagev1.VolumeAttachmentSpec{Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: rsPtr("pv")}}},
			out:  &storagev1.VolumeAttachment{Spec: storagev1.VolumeAttachmentSpec{Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: rsPtr("pv")}}},
		},
		{
			name: "volume attributes class has no defaults",
			in:   &storagev1.VolumeAttributesClass{DriverName: "d"},
			out:  &storagev1.VolumeAttributesClass{DriverName: "d"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Default(tc.in)
			if diff := cmp.Diff(toYAML(t, tc.out), toYAML(t, tc.in)); diff != "" {
				t.Errorf("defaulted object differs (-want +got):\n%s", diff)
			}
		})
	}
}
