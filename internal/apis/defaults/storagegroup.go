package defaults

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerStorageGroup installs the defaults of storage.k8s.io/v1 StorageClasses,
// CSIDrivers and VolumeAttachments. CSINodes, CSIStorageCapacities and
// VolumeAttributesClasses have none.
func registerStorageGroup(s *runtime.Scheme) {
	add(s, storageClassDefaults)
	addList(s, func(l *storagev1.StorageClassList) []storagev1.StorageClass { return l.Items }, storageClassDefaults)
	add(s, csiDriverDefaults)
	addList(s, func(l *storagev1.CSIDriverList) []storagev1.CSIDriver { return l.Items }, csiDriverDefaults)
	add(s, volumeAttachmentDefaults)
	addList(s, func(l *storagev1.VolumeAttachmentList) []storagev1.VolumeAttachment { return l.Items }, volumeAttachmentDefaults)
}

// storageClassDefaults deletes provisioned volumes with their claim and binds them
// at once unless the class says otherwise.
func storageClassDefaults(sc *storagev1.StorageClass) {
	ptrOrDefault(&sc.ReclaimPolicy, corev1.PersistentVolumeReclaimDelete)
	ptrOrDefault(&sc.VolumeBindingMode, storagev1.VolumeBindingImmediate)
}

// csiDriverDefaults fills every optional switch of a CSIDriver. SELinuxMountReadWriteOncePod
// (GA) and VolumeLimitScaling (beta, on) are enabled in v1.37, so seLinuxMount and
// preventPodSchedulingIfMissing are defaulted too.
func csiDriverDefaults(d *storagev1.CSIDriver) {
	spec := &d.Spec
	ptrOrDefault(&spec.AttachRequired, true)
	ptrOrDefault(&spec.PodInfoOnMount, false)
	ptrOrDefault(&spec.StorageCapacity, false)
	ptrOrDefault(&spec.FSGroupPolicy, storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy)
	if len(spec.VolumeLifecycleModes) == 0 {
		spec.VolumeLifecycleModes = []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent}
	}
	ptrOrDefault(&spec.RequiresRepublish, false)
	ptrOrDefault(&spec.SELinuxMount, false)
	ptrOrDefault(&spec.PreventPodSchedulingIfMissing, false)
}

// volumeAttachmentDefaults defaults the inline PersistentVolumeSpec of a migrated
// in-tree volume the way a PersistentVolume's source is defaulted; the spec-level
// fields of a PersistentVolume (reclaim policy, volume mode) are not.
func volumeAttachmentDefaults(va *storagev1.VolumeAttachment) {
	spec := va.Spec.Source.InlineVolumeSpec
	if spec == nil {
		return
	}
	roundResourceList(spec.Capacity)
	src := &spec.PersistentVolumeSource
	if src.HostPath != nil {
		ptrOrDefault(&src.HostPath.Type, corev1.HostPathUnset)
	}
	if src.RBD != nil {
		rbd(&src.RBD.RBDPool, &src.RBD.RadosUser, &src.RBD.Keyring)
	}
	if src.ISCSI != nil {
		orDefault(&src.ISCSI.ISCSIInterface, "default")
	}
	if src.AzureDisk != nil {
		azureDisk(src.AzureDisk)
	}
	if src.ScaleIO != nil {
		scaleIO(&src.ScaleIO.StorageMode, &src.ScaleIO.FSType)
	}
}
