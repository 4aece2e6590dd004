package printers

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

// betaStorageClassAnnotation still overrides storageClassName when present, so
// the printers honour it as upstream does.
const betaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class"

// PersistentVolume prints NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM
// STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE; wide adds VOLUMEMODE.
func PersistentVolume() *registry.Table { return persistentVolumeTable(time.Now) }

func persistentVolumeTable(now clock) *registry.Table {
	spec, status := corev1.PersistentVolumeSpec{}.SwaggerDoc(), corev1.PersistentVolumeStatus{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Capacity", "string", spec["capacity"]),
		column("Access Modes", "string", spec["accessModes"]),
		column("Reclaim Policy", "string", spec["persistentVolumeReclaimPolicy"]),
		column("Status", "string", status["phase"]),
		column("Claim", "string", spec["claimRef"]),
		column("StorageClass", "string", "StorageClass of the pv"),
		column("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
		column("Reason", "string", status["reason"]),
		ageColumn(),
		wide("VolumeMode", "string", spec["volumeMode"]),
	}
	return typed("persistentvolumes", cols, func(pv *corev1.PersistentVolume) []any {
		claim := ""
		if ref := pv.Spec.ClaimRef; ref != nil {
			claim = ref.Namespace + "/" + ref.Name
		}
		phase := string(pv.Status.Phase)
		if pv.DeletionTimestamp != nil {
			phase = "Terminating"
		}
		class, found := pv.Annotations[betaStorageClassAnnotation]
		if !found {
			class = pv.Spec.StorageClassName
		}
		capacity := pv.Spec.Capacity[corev1.ResourceStorage]
		return []any{
			pv.Name,
			capacity.String(),
			accessModes(pv.Spec.AccessModes),
			string(pv.Spec.PersistentVolumeReclaimPolicy),
			phase,
			claim,
			class,
			derefOrUnset(pv.Spec.VolumeAttributesClassName),
			pv.Status.Reason,
			since(now, pv.CreationTimestamp),
			volumeMode(pv.Spec.VolumeMode),
		}
	})
}

// PersistentVolumeClaim prints NAME STATUS VOLUME CAPACITY ACCESS MODES
// STORAGECLASS VOLUMEATTRIBUTESCLASS AGE; wide adds VOLUMEMODE.
func PersistentVolumeClaim() *registry.Table { return persistentVolumeClaimTable(time.Now) }

func persistentVolumeClaimTable(now clock) *registry.Table {
	spec, status := corev1.PersistentVolumeClaimSpec{}.SwaggerDoc(), corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Status", "string", status["phase"]),
		column("Volume", "string", spec["volumeName"]),
		column("Capacity", "string", status["capacity"]),
		column("Access Modes", "string", status["accessModes"]),
		column("StorageClass", "string", "StorageClass of the pvc"),
		column("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
		ageColumn(),
		wide("VolumeMode", "string", spec["volumeMode"]),
	}
	return typed("persistentvolumeclaims", cols, func(pvc *corev1.PersistentVolumeClaim) []any {
		phase := string(pvc.Status.Phase)
		if pvc.DeletionTimestamp != nil {
			phase = "Terminating"
		}
		// Capacity and access modes are those of the bound volume, blank until bound.
		capacity, modes := "", ""
		if pvc.Spec.VolumeName != "" {
			modes = accessModes(pvc.Status.AccessModes)
			q := pvc.Status.Capacity[corev1.ResourceStorage]
			capacity = q.String()
		}
		class, found := pvc.Annotations[betaStorageClassAnnotation]
		if !found && pvc.Spec.StorageClassName != nil {
			class = *pvc.Spec.StorageClassName
		}
		return []any{
			pvc.Name,
			phase,
			pvc.Spec.VolumeName,
			capacity,
			modes,
			class,
			derefOrUnset(pvc.Spec.VolumeAttributesClassName),
			since(now, pvc.CreationTimestamp),
			volumeMode(pvc.Spec.VolumeMode),
		}
	})
}

// accessModes abbreviates the distinct access modes in a fixed order: RWO, ROX,
// RWX, RWOP.
func accessModes(modes []corev1.PersistentVolumeAccessMode) string {
	short := []struct {
		mode corev1.PersistentVolumeAccessMode
		abbr string
	}{
		{corev1.ReadWriteOnce, "RWO"},
		{corev1.ReadOnlyMany, "ROX"},
		{corev1.ReadWriteMany, "RWX"},
		{corev1.ReadWriteOncePod, "RWOP"},
	}
	var out []string
	for _, s := range short {
		for _, m := range modes {
			if m == s.mode {
				out = append(out, s.abbr)
				break
			}
		}
	}
	return strings.Join(out, ",")
}

func volumeMode(m *corev1.PersistentVolumeMode) string {
	if m == nil {
		return unset
	}
	return string(*m)
}

func derefOrUnset(s *string) string {
	if s == nil {
		return unset
	}
	return *s
}
