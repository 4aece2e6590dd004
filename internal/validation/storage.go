package validation

import (
	"fmt"
	"reflect"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	accessModes     = []corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOnce, corev1.ReadWriteOncePod}
	reclaimPolicies = []corev1.PersistentVolumeReclaimPolicy{corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRecycle, corev1.PersistentVolumeReclaimRetain}
	volumeModes     = []corev1.PersistentVolumeMode{corev1.PersistentVolumeBlock, corev1.PersistentVolumeFilesystem}
)

// accessModeList requires at least one known mode and ReadWriteOncePod alone.
func accessModeList(modes []corev1.PersistentVolumeAccessMode, requiredMsg string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(modes) == 0 {
		allErrs = append(allErrs, field.Required(fldPath, requiredMsg))
	}
	rwop, other := false, false
	for _, m := range modes {
		if !slices.Contains(accessModes, m) {
			allErrs = append(allErrs, field.NotSupported(fldPath, m, accessModes))
			continue
		}
		if m == corev1.ReadWriteOncePod {
			rwop = true
		} else {
			other = true
		}
	}
	if rwop && other {
		allErrs = append(allErrs, field.Forbidden(fldPath, "may not use ReadWriteOncePod with other access modes"))
	}
	return allErrs
}

// ValidatePersistentVolume checks capacity, access modes and the single source.
func ValidatePersistentVolume(obj runtime.Object) field.ErrorList {
	return create(obj, validatePersistentVolume)
}

func validatePersistentVolume(pv *corev1.PersistentVolume) field.ErrorList {
	allErrs := objectMeta(&pv.ObjectMeta, false, NameIsDNSSubdomain)
	specPath := field.NewPath("spec")
	spec := &pv.Spec
	allErrs = append(allErrs, accessModeList(spec.AccessModes, "", specPath.Child("accessModes"))...)
	capPath := specPath.Child("capacity")
	if len(spec.Capacity) == 0 {
		allErrs = append(allErrs, field.Required(capPath, ""))
	}
	if _, ok := spec.Capacity[corev1.ResourceStorage]; !ok || len(spec.Capacity) > 1 {
		allErrs = append(allErrs, field.NotSupported(capPath, spec.Capacity, []corev1.ResourceName{corev1.ResourceStorage}))
	}
	for _, name := range sortedNames(spec.Capacity) {
		q := spec.Capacity[name]
		if q.Value() < 0 {
			allErrs = append(allErrs, field.Invalid(capPath.Key(string(name)), q.Value(), "must be a valid resource quantity"))
		}
		allErrs = append(allErrs, positiveQuantity(q, capPath.Key(string(name)))...)
	}
	if spec.PersistentVolumeReclaimPolicy != "" && !slices.Contains(reclaimPolicies, spec.PersistentVolumeReclaimPolicy) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("persistentVolumeReclaimPolicy"), spec.PersistentVolumeReclaimPolicy, reclaimPolicies))
	}
	allErrs = append(allErrs, exactlyOneSource(reflect.ValueOf(spec.PersistentVolumeSource), specPath, "must specify a volume type")...)
	if spec.StorageClassName != "" {
		allErrs = append(allErrs, dns1123Subdomain(spec.StorageClassName, specPath.Child("storageClassName"))...)
	}
	if spec.VolumeMode != nil && !slices.Contains(volumeModes, *spec.VolumeMode) {
		allErrs = append(allErrs, field.NotSupported(specPath.Child("volumeMode"), *spec.VolumeMode, volumeModes))
	}
	return allErrs
}

// ValidatePersistentVolumeUpdate keeps the volume source and mode fixed.
func ValidatePersistentVolumeUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pv, old *corev1.PersistentVolume) field.ErrorList {
		allErrs := objectMetaUpdate(&pv.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, validatePersistentVolume(pv)...)
		src := pv.Spec.PersistentVolumeSource
		// A CSI volume may gain a controllerExpandSecretRef later.
		if old.Spec.CSI != nil && old.Spec.CSI.ControllerExpandSecretRef == nil && src.CSI != nil && src.CSI.ControllerExpandSecretRef != nil {
			src = *src.DeepCopy()
			src.CSI.ControllerExpandSecretRef = nil
		}
		if !apiequality.Semantic.DeepEqual(src, old.Spec.PersistentVolumeSource) {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "persistentvolumesource"),
				fmt.Sprintf("spec.persistentvolumesource is immutable after creation\n%v", diff.Diff(old.Spec.PersistentVolumeSource, src))))
		}
		allErrs = append(allErrs, immutable(pv.Spec.VolumeMode, old.Spec.VolumeMode, field.NewPath("volumeMode"))...)
		return allErrs
	})
}

// ValidatePersistentVolumeStatusUpdate checks metadata only.
func ValidatePersistentVolumeStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pv, old *corev1.PersistentVolume) field.ErrorList {
		return objectMetaUpdate(&pv.ObjectMeta, &old.ObjectMeta)
	})
}

// ValidatePersistentVolumeClaim checks access modes and the storage request.
func ValidatePersistentVolumeClaim(obj runtime.Object) field.ErrorList {
	return create(obj, validatePersistentVolumeClaim)
}

func validatePersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) field.ErrorList {
	return append(objectMeta(&pvc.ObjectMeta, true, NameIsDNSSubdomain), claimSpec(&pvc.Spec, field.NewPath("spec"))...)
}

// claimSpec is shared with StatefulSet volumeClaimTemplates.
func claimSpec(spec *corev1.PersistentVolumeClaimSpec, fldPath *field.Path) field.ErrorList {
	allErrs := accessModeList(spec.AccessModes, "at least 1 access mode is required", fldPath.Child("accessModes"))
	if spec.Selector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(spec.Selector, metav1validation.LabelSelectorValidationOptions{}, fldPath.Child("selector"))...)
	}
	storagePath := fldPath.Child("resources").Key(string(corev1.ResourceStorage))
	if q, ok := spec.Resources.Requests[corev1.ResourceStorage]; !ok {
		allErrs = append(allErrs, field.Required(storagePath, ""))
	} else if errs := positiveQuantity(q, storagePath); len(errs) > 0 {
		allErrs = append(allErrs, errs...)
	}
	if spec.StorageClassName != nil && *spec.StorageClassName != "" {
		allErrs = append(allErrs, dns1123Subdomain(*spec.StorageClassName, fldPath.Child("storageClassName"))...)
	}
	if spec.VolumeMode != nil && !slices.Contains(volumeModes, *spec.VolumeMode) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("volumeMode"), *spec.VolumeMode, volumeModes))
	}
	if spec.VolumeAttributesClassName != nil && *spec.VolumeAttributesClassName != "" {
		allErrs = append(allErrs, dns1123Subdomain(*spec.VolumeAttributesClassName, fldPath.Child("volumeAttributesClassName"))...)
	}
	return allErrs
}

// ValidatePersistentVolumeClaimUpdate allows only volumeName to be set once, and for
// bound claims a larger storage request and a new volumeAttributesClassName.
func ValidatePersistentVolumeClaimUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pvc, old *corev1.PersistentVolumeClaim) field.ErrorList {
		allErrs := objectMetaUpdate(&pvc.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, validatePersistentVolumeClaim(pvc)...)
		now, was := pvc.Spec.DeepCopy(), old.Spec.DeepCopy()
		if was.VolumeName == "" {
			was.VolumeName = now.VolumeName
		}
		// The beta annotation may be promoted to storageClassName once.
		if sc, ok := old.Annotations[corev1.BetaStorageClassAnnotation]; ok && was.StorageClassName == nil &&
			now.StorageClassName != nil && *now.StorageClassName == sc {
			now.StorageClassName = nil
		} else {
			a, b := pvc.Annotations[corev1.BetaStorageClassAnnotation], old.Annotations[corev1.BetaStorageClassAnnotation]
			if a != b {
				allErrs = append(allErrs, field.Invalid(field.NewPath("metadata", "annotations", corev1.BetaStorageClassAnnotation), a, immutableMsg))
			}
		}
		if pvc.Status.Phase == corev1.ClaimBound {
			if now.Resources.Requests != nil {
				now.Resources.Requests[corev1.ResourceStorage] = old.Spec.Resources.Requests[corev1.ResourceStorage]
			}
			now.VolumeAttributesClassName = was.VolumeAttributesClassName
		}
		if !apiequality.Semantic.DeepEqual(*now, *was) {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("spec"), fmt.Sprintf(
				"spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n%v", diff.Diff(*was, *now))))
		}
		newSize, oldSize := pvc.Spec.Resources.Requests[corev1.ResourceStorage], old.Spec.Resources.Requests[corev1.ResourceStorage]
		if newSize.Cmp(oldSize) < 0 {
			if status := old.Status.Capacity[corev1.ResourceStorage]; newSize.Cmp(status) <= 0 {
				allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "resources", "requests", "storage"), "field can not be less than status.capacity"))
			}
		}
		allErrs = append(allErrs, immutable(pvc.Spec.VolumeMode, old.Spec.VolumeMode, field.NewPath("volumeMode"))...)
		return allErrs
	})
}

// ValidatePersistentVolumeClaimStatusUpdate checks metadata and capacity quantities.
func ValidatePersistentVolumeClaimStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pvc, old *corev1.PersistentVolumeClaim) field.ErrorList {
		allErrs := objectMetaUpdate(&pvc.ObjectMeta, &old.ObjectMeta)
		p := field.NewPath("status", "capacity")
		for _, name := range sortedNames(pvc.Status.Capacity) {
			allErrs = append(allErrs, quantityValue(name, pvc.Status.Capacity[name], p.Key(string(name)))...)
		}
		return allErrs
	})
}
