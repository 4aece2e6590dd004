package validation

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Limits of storage.k8s.io objects, as upstream.
const (
	maxStorageParameters       = 512
	maxStorageParametersSize   = 256 * (1 << 10)
	maxAttachmentMetadataSize  = 256 * (1 << 10)
	maxVolumeErrorMessageLen   = 1024
	maxCSINodeIDLen            = 256
	maxCSIDriverNameLen        = 63
	maxStorageHealthConditions = 16
	minTokenExpirationSeconds  = 10 * 60
)

var (
	storageClassReclaimPolicies = []string{string(corev1.PersistentVolumeReclaimDelete), string(corev1.PersistentVolumeReclaimRetain)}
	volumeBindingModes          = []string{string(storagev1.VolumeBindingImmediate), string(storagev1.VolumeBindingWaitForFirstConsumer)}
	fsGroupPolicies             = []string{string(storagev1.FileFSGroupPolicy), string(storagev1.NoneFSGroupPolicy), string(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy)}
	volumeLifecycleModes        = []string{string(storagev1.VolumeLifecyclePersistent), string(storagev1.VolumeLifecycleEphemeral)}
	storageHealthStatuses       = []storagev1.StorageHealthStatusType{storagev1.StorageDegraded, storagev1.StorageUnreachable}
	storageHealthAccessModes    = []corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOnce, corev1.ReadWriteOncePod}
)

// storageCSIDriverName checks the name of a CSI driver (a StorageClass's provisioner
// is checked differently): required, at most 63 characters, a DNS subdomain in any case.
func storageCSIDriverName(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, "")}
	}
	var allErrs field.ErrorList
	if len(name) > maxCSIDriverNameLen {
		allErrs = append(allErrs, field.TooLong(p, "", maxCSIDriverNameLen))
	}
	for _, msg := range utilvalidation.IsDNS1123Subdomain(strings.ToLower(name)) {
		allErrs = append(allErrs, field.Invalid(p, name, msg))
	}
	return allErrs
}

// storageProvisioner checks a StorageClass's provisioner or a VolumeAttributesClass's
// driverName: required and a qualified name in any case.
func storageProvisioner(name string, p *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(p, name)}
	}
	return qualifiedName(strings.ToLower(name), p)
}

// storageParameters limits the number and total size of provisioner parameters.
func storageParameters(params map[string]string, allowEmpty bool, p *field.Path) field.ErrorList {
	if len(params) > maxStorageParameters {
		return field.ErrorList{field.TooLong(p, "", maxStorageParameters)}
	}
	var allErrs field.ErrorList
	size := 0
	for _, k := range sortedKeys(params) {
		if k == "" {
			allErrs = append(allErrs, field.Invalid(p, k, "field can not be empty."))
		}
		size += len(k) + len(params[k])
	}
	if size > maxStorageParametersSize {
		allErrs = append(allErrs, field.TooLong(p, "", maxStorageParametersSize))
	}
	if !allowEmpty && len(params) == 0 {
		allErrs = append(allErrs, field.Required(p, "must contain at least one key/value pair"))
	}
	return allErrs
}

// ValidateStorageClass checks a StorageClass on create.
func ValidateStorageClass(obj runtime.Object) field.ErrorList {
	return create(obj, validateStorageClass)
}

func validateStorageClass(sc *storagev1.StorageClass) field.ErrorList {
	allErrs := objectMeta(&sc.ObjectMeta, false, NameIsDNSSubdomain)
	allErrs = append(allErrs, storageProvisioner(sc.Provisioner, field.NewPath("provisioner"))...)
	allErrs = append(allErrs, storageParameters(sc.Parameters, true, field.NewPath("parameters"))...)
	if rp := sc.ReclaimPolicy; rp != nil && *rp != "" && !slices.Contains(storageClassReclaimPolicies, string(*rp)) {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("reclaimPolicy"), rp, storageClassReclaimPolicies))
	}
	if mode := sc.VolumeBindingMode; mode == nil {
		allErrs = append(allErrs, field.Required(field.NewPath("volumeBindingMode"), ""))
	} else if !slices.Contains(volumeBindingModes, string(*mode)) {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("volumeBindingMode"), mode, volumeBindingModes))
	}
	return append(allErrs, allowedTopologies(sc.AllowedTopologies, field.NewPath("allowedTopologies"))...)
}

// allowedTopologies checks each term's label requirements and refuses repeated terms.
func allowedTopologies(terms []corev1.TopologySelectorTerm, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := make([]map[string][]string, 0, len(terms))
	for i, term := range terms {
		exprPath := p.Index(i).Child("matchLabelExpressions")
		raw := map[string][]string{}
		for j, req := range term.MatchLabelExpressions {
			rp := exprPath.Index(j)
			if len(req.Values) == 0 {
				allErrs = append(allErrs, field.Required(rp.Child("values"), ""))
			}
			var values []string
			for k, v := range req.Values {
				if slices.Contains(values, v) {
					allErrs = append(allErrs, field.Duplicate(rp.Child("values").Index(k), v))
					continue
				}
				values = append(values, v)
			}
			allErrs = append(allErrs, metav1validation.ValidateLabelName(req.Key, rp.Child("key"))...)
			if _, dup := raw[req.Key]; dup {
				allErrs = append(allErrs, field.Duplicate(rp.Child("key"), req.Key))
			}
			slices.Sort(values)
			raw[req.Key] = values
		}
		for _, other := range seen {
			if reflect.DeepEqual(raw, other) {
				allErrs = append(allErrs, field.Duplicate(exprPath, ""))
			}
		}
		seen = append(seen, raw)
	}
	return allErrs
}

// ValidateStorageClassUpdate keeps provisioner, parameters, reclaimPolicy and
// volumeBindingMode fixed; allowVolumeExpansion, mountOptions and topologies may change.
func ValidateStorageClassUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(sc, old *storagev1.StorageClass) field.ErrorList {
		allErrs := validateStorageClass(sc)
		allErrs = append(allErrs, objectMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta)...)
		allErrs = append(allErrs, immutable(sc.Parameters, old.Parameters, field.NewPath("parameters"))...)
		allErrs = append(allErrs, immutable(sc.Provisioner, old.Provisioner, field.NewPath("provisioner"))...)
		allErrs = append(allErrs, immutable(sc.ReclaimPolicy, old.ReclaimPolicy, field.NewPath("reclaimPolicy"))...)
		return append(allErrs, immutable(sc.VolumeBindingMode, old.VolumeBindingMode, field.NewPath("volumeBindingMode"))...)
	})
}

// ValidateCSIDriver checks a CSIDriver on create.
func ValidateCSIDriver(obj runtime.Object) field.ErrorList {
	return create(obj, func(d *storagev1.CSIDriver) field.ErrorList {
		return append(objectMeta(&d.ObjectMeta, false, NameIsDNSSubdomain), csiDriverSpec(&d.Spec)...)
	})
}

// csiDriverSpec checks the switches that defaulting fills in (so nil means the
// client cleared them) and the token requests.
func csiDriverSpec(spec *storagev1.CSIDriverSpec) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("spec")
	// Upstream reports attachRequired as "attachedRequired".
	for _, req := range []struct {
		set  bool
		name string
	}{
		{spec.AttachRequired != nil, "attachedRequired"},
		{spec.PodInfoOnMount != nil, "podInfoOnMount"},
		{spec.StorageCapacity != nil, "storageCapacity"},
	} {
		if !req.set {
			allErrs = append(allErrs, field.Required(p.Child(req.name), ""))
		}
	}
	if fsp := spec.FSGroupPolicy; fsp != nil && !slices.Contains(fsGroupPolicies, string(*fsp)) {
		allErrs = append(allErrs, field.NotSupported(p.Child("fsGroupPolicy"), fsp, fsGroupPolicies))
	}
	allErrs = append(allErrs, csiTokenRequests(spec.TokenRequests, p.Child("tokenRequests"))...)
	for _, mode := range spec.VolumeLifecycleModes {
		if !slices.Contains(volumeLifecycleModes, string(mode)) {
			allErrs = append(allErrs, field.NotSupported(p.Child("volumeLifecycleModes"), mode, volumeLifecycleModes))
		}
	}
	if spec.SELinuxMount == nil {
		allErrs = append(allErrs, field.Required(p.Child("seLinuxMount"), ""))
	}
	if period := spec.NodeAllocatableUpdatePeriodSeconds; period != nil && *period < 10 {
		allErrs = append(allErrs, field.Invalid(p.Child("nodeAllocatableUpdatePeriodSeconds"), *period, "must be greater than or equal to 10 seconds"))
	}
	if spec.ServiceAccountTokenInSecrets != nil && len(spec.TokenRequests) == 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("serviceAccountTokenInSecrets"), spec.ServiceAccountTokenInSecrets,
			"serviceAccountTokenInSecrets is set but no tokenRequests are specified"))
	}
	if spec.PreventPodSchedulingIfMissing == nil {
		allErrs = append(allErrs, field.Required(p.Child("preventPodSchedulingIfMissing"), ""))
	}
	return allErrs
}

func csiTokenRequests(reqs []storagev1.TokenRequest, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	audiences := map[string]bool{}
	for i, r := range reqs {
		ip := p.Index(i)
		if audiences[r.Audience] {
			allErrs = append(allErrs, field.Duplicate(ip.Child("audience"), r.Audience))
			continue
		}
		audiences[r.Audience] = true
		if r.ExpirationSeconds == nil {
			continue
		}
		if *r.ExpirationSeconds < minTokenExpirationSeconds {
			allErrs = append(allErrs, field.Invalid(ip.Child("expirationSeconds"), *r.ExpirationSeconds, "may not specify a duration less than 10 minutes"))
		}
		if *r.ExpirationSeconds > 1<<32 {
			allErrs = append(allErrs, field.Invalid(ip.Child("expirationSeconds"), *r.ExpirationSeconds, "may not specify a duration larger than 2^32 seconds"))
		}
	}
	return allErrs
}

// ValidateCSIDriverUpdate keeps attachRequired and volumeLifecycleModes fixed.
func ValidateCSIDriverUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(d, old *storagev1.CSIDriver) field.ErrorList {
		allErrs := objectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta)
		allErrs = append(allErrs, csiDriverSpec(&d.Spec)...)
		allErrs = append(allErrs, immutable(d.Spec.AttachRequired, old.Spec.AttachRequired, field.NewPath("spec", "attachedRequired"))...)
		return append(allErrs, immutable(d.Spec.VolumeLifecycleModes, old.Spec.VolumeLifecycleModes, field.NewPath("spec", "volumeLifecycleModes"))...)
	})
}

// ValidateCSINode checks a CSINode on create; its name is its node's.
func ValidateCSINode(obj runtime.Object) field.ErrorList {
	return create(obj, validateCSINode)
}

func validateCSINode(n *storagev1.CSINode) field.ErrorList {
	allErrs := objectMeta(&n.ObjectMeta, false, NameIsDNSSubdomain)
	p := field.NewPath("spec", "drivers")
	names := map[string]bool{}
	for i := range n.Spec.Drivers {
		d := &n.Spec.Drivers[i]
		dp := p.Index(i)
		allErrs = append(allErrs, storageCSIDriverName(d.Name, dp.Child("name"))...)
		if d.NodeID == "" {
			allErrs = append(allErrs, field.Required(dp.Child("nodeID"), d.NodeID))
		}
		if len(d.NodeID) > maxCSINodeIDLen {
			allErrs = append(allErrs, field.Invalid(dp.Child("nodeID"), d.NodeID, fmt.Sprintf("must be %d characters or less", maxCSINodeIDLen)))
		}
		if a := d.Allocatable; a != nil && a.Count != nil {
			allErrs = append(allErrs, nonNegative(int64(*a.Count), dp.Child("allocatable", "count"))...)
		}
		if names[d.Name] {
			allErrs = append(allErrs, field.Duplicate(dp.Child("name"), d.Name))
		}
		names[d.Name] = true
		keys := map[string]bool{}
		for _, key := range d.TopologyKeys {
			if key == "" {
				allErrs = append(allErrs, field.Required(dp, key))
			}
			if keys[key] {
				allErrs = append(allErrs, field.Duplicate(dp, key))
			}
			keys[key] = true
			allErrs = append(allErrs, qualifiedName(key, dp)...)
		}
	}
	return allErrs
}

// ValidateCSINodeUpdate keeps each driver that stays registered fixed, except for
// its allocatable count (MutableCSINodeAllocatableCount is GA in v1.37).
func ValidateCSINodeUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(n, old *storagev1.CSINode) field.ErrorList {
		allErrs := validateCSINode(n)
		allErrs = append(allErrs, objectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta)...)
		for _, was := range old.Spec.Drivers {
			for _, now := range n.Spec.Drivers {
				if was.Name != now.Name {
					continue
				}
				wasCopy, nowCopy := was.DeepCopy(), now.DeepCopy()
				wasCopy.Allocatable, nowCopy.Allocatable = nil, nil
				allErrs = append(allErrs, immutable(nowCopy, wasCopy, field.NewPath("spec", "drivers"))...)
			}
		}
		return allErrs
	})
}

// ValidateCSINodeStatusUpdate checks the storage health a driver reports through
// csinodes/status.
func ValidateCSINodeStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(n, old *storagev1.CSINode) field.ErrorList {
		allErrs := objectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta)
		p := field.NewPath("status", "storageHealth")
		seen := map[string]bool{}
		for i := range n.Status.StorageHealth {
			h := &n.Status.StorageHealth[i]
			ip := p.Index(i)
			if seen[h.Name] {
				allErrs = append(allErrs, field.Duplicate(ip, h.Name))
			}
			seen[h.Name] = true
			allErrs = append(allErrs, storageHealth(h, ip)...)
		}
		return allErrs
	})
}

func storageHealth(h *storagev1.StorageHealth, p *field.Path) field.ErrorList {
	allErrs := storageCSIDriverName(h.Name, p.Child("name"))
	if len(h.HealthConditions) > maxStorageHealthConditions {
		return append(allErrs, field.TooMany(p.Child("healthConditions"), len(h.HealthConditions), maxStorageHealthConditions))
	}
	for i := range h.HealthConditions {
		c := &h.HealthConditions[i]
		cp := p.Child("healthConditions").Index(i)
		if !slices.Contains(storageHealthStatuses, c.Status) {
			allErrs = append(allErrs, field.NotSupported(cp.Child("status"), c.Status, storageHealthStatuses))
		}
		if c.Reason == "" {
			allErrs = append(allErrs, field.Required(cp.Child("reason"), ""))
		} else {
			for _, msg := range metav1validation.IsValidConditionReason(c.Reason) {
				allErrs = append(allErrs, field.Invalid(cp.Child("reason"), c.Reason, msg))
			}
			if len(c.Reason) > 256 {
				allErrs = append(allErrs, field.TooLong(cp.Child("reason"), c.Reason, 256))
			}
		}
		if len(c.Message) > 1024 {
			allErrs = append(allErrs, field.TooLong(cp.Child("message"), c.Message, 1024))
		}
		if c.AccessMode != nil && !slices.Contains(storageHealthAccessModes, *c.AccessMode) {
			allErrs = append(allErrs, field.NotSupported(cp.Child("accessMode"), *c.AccessMode, storageHealthAccessModes))
		}
		if c.VolumeMode != nil && !slices.Contains(volumeModes, *c.VolumeMode) {
			allErrs = append(allErrs, field.NotSupported(cp.Child("volumeMode"), *c.VolumeMode,
				[]corev1.PersistentVolumeMode{corev1.PersistentVolumeFilesystem, corev1.PersistentVolumeBlock}))
		}
	}
	return allErrs
}

// ValidateCSIStorageCapacity checks a CSIStorageCapacity on create.
func ValidateCSIStorageCapacity(obj runtime.Object) field.ErrorList {
	return create(obj, func(c *storagev1.CSIStorageCapacity) field.ErrorList { return validateCSIStorageCapacity(c, false) })
}

func validateCSIStorageCapacity(c *storagev1.CSIStorageCapacity, allowInvalidLabelValues bool) field.ErrorList {
	allErrs := objectMeta(&c.ObjectMeta, true, NameIsDNSSubdomain)
	opts := metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: allowInvalidLabelValues}
	allErrs = append(allErrs, metav1validation.ValidateLabelSelector(c.NodeTopology, opts, field.NewPath("nodeTopology"))...)
	for _, msg := range NameIsDNSSubdomain(c.StorageClassName, false) {
		allErrs = append(allErrs, field.Invalid(field.NewPath("storageClassName"), c.StorageClassName, msg))
	}
	if c.Capacity != nil && c.Capacity.Sign() < 0 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("capacity"), c.Capacity.String(), isNegativeMsg))
	}
	return allErrs
}

// ValidateCSIStorageCapacityUpdate keeps nodeTopology and storageClassName fixed.
func ValidateCSIStorageCapacityUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(c, old *storagev1.CSIStorageCapacity) field.ErrorList {
		strict := metav1validation.LabelSelectorValidationOptions{}
		oldInvalid := len(metav1validation.ValidateLabelSelector(old.NodeTopology, strict, nil)) > 0
		allErrs := validateCSIStorageCapacity(c, oldInvalid)
		allErrs = append(allErrs, objectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta)...)
		if !apiequality.Semantic.DeepEqual(c.NodeTopology, old.NodeTopology) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("nodeTopology"), c.NodeTopology, immutableMsg))
		}
		if c.StorageClassName != old.StorageClassName {
			allErrs = append(allErrs, field.Invalid(field.NewPath("storageClassName"), c.StorageClassName, immutableMsg))
		}
		return allErrs
	})
}

// ValidateVolumeAttachment checks a VolumeAttachment on create.
func ValidateVolumeAttachment(obj runtime.Object) field.ErrorList {
	return create(obj, validateVolumeAttachment)
}

func validateVolumeAttachment(va *storagev1.VolumeAttachment) field.ErrorList {
	allErrs := objectMeta(&va.ObjectMeta, false, NameIsDNSSubdomain)
	p := field.NewPath("spec")
	allErrs = append(allErrs, storageCSIDriverName(va.Spec.Attacher, p.Child("attacher"))...)
	src, sp := &va.Spec.Source, p.Child("source")
	switch {
	case src.InlineVolumeSpec == nil && src.PersistentVolumeName == nil:
		allErrs = append(allErrs, field.Required(sp, "must specify exactly one of inlineVolumeSpec and persistentVolumeName"))
	case src.InlineVolumeSpec != nil && src.PersistentVolumeName != nil:
		allErrs = append(allErrs, field.Forbidden(sp, "must specify exactly one of inlineVolumeSpec and persistentVolumeName"))
	case src.PersistentVolumeName != nil:
		if *src.PersistentVolumeName == "" {
			allErrs = append(allErrs, field.Required(sp.Child("persistentVolumeName"), "must specify non empty persistentVolumeName"))
		}
	default:
		allErrs = append(allErrs, inlineVolumeSpec(src.InlineVolumeSpec, sp.Child("inlineVolumeSpec"))...)
	}
	for _, msg := range NameIsDNSSubdomain(va.Spec.NodeName, false) {
		allErrs = append(allErrs, field.Invalid(p.Child("nodeName"), va.Spec.NodeName, msg))
	}
	allErrs = append(allErrs, volumeAttachmentStatus(&va.Status)...)
	if src.PersistentVolumeName != nil && *src.PersistentVolumeName != "" {
		for _, msg := range NameIsDNSSubdomain(*src.PersistentVolumeName, false) {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec.source.persistentVolumeName"), *src.PersistentVolumeName, msg))
		}
	}
	return allErrs
}

// inlineVolumeSpec checks the PersistentVolumeSpec of a migrated inline volume: a CSI
// source only, without the fields that make sense only for real PersistentVolumes.
func inlineVolumeSpec(spec *corev1.PersistentVolumeSpec, p *field.Path) field.ErrorList {
	const ctx = "in the context of inline volumes"
	var allErrs field.ErrorList
	if spec.ClaimRef != nil {
		allErrs = append(allErrs, field.Forbidden(p.Child("claimRef"), "may not be specified "+ctx))
	}
	if len(spec.Capacity) != 0 {
		allErrs = append(allErrs, field.Forbidden(p.Child("capacity"), "may not be specified "+ctx))
	}
	if spec.CSI == nil {
		allErrs = append(allErrs, field.Required(p.Child("csi"), "has to be specified "+ctx))
	}
	allErrs = append(allErrs, accessModeList(spec.AccessModes, "", p.Child("accessModes"))...)
	if rp := spec.PersistentVolumeReclaimPolicy; rp != "" && rp != corev1.PersistentVolumeReclaimRetain {
		allErrs = append(allErrs, field.Forbidden(p.Child("persistentVolumeReclaimPolicy"), "may only be Retain "+ctx))
	}
	if spec.NodeAffinity != nil {
		allErrs = append(allErrs, field.Forbidden(p.Child("nodeAffinity"), "may not be specified "+ctx))
	}
	allErrs = append(allErrs, exactlyOneSource(reflect.ValueOf(spec.PersistentVolumeSource), p, "must specify a volume type")...)
	if csi := spec.CSI; csi != nil {
		allErrs = append(allErrs, storageCSIDriverName(csi.Driver, p.Child("csi", "driver"))...)
		if csi.VolumeHandle == "" {
			allErrs = append(allErrs, field.Required(p.Child("csi", "volumeHandle"), ""))
		}
	}
	if spec.StorageClassName != "" {
		allErrs = append(allErrs, field.Forbidden(p.Child("storageClassName"), "may not be specified "+ctx))
	}
	if spec.VolumeMode != nil && *spec.VolumeMode != corev1.PersistentVolumeFilesystem {
		allErrs = append(allErrs, field.Forbidden(p.Child("volumeMode"), "may not specify volumeMode other than Filesystem "+ctx))
	}
	return allErrs
}

func volumeAttachmentStatus(st *storagev1.VolumeAttachmentStatus) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("status")
	size := 0
	for k, v := range st.AttachmentMetadata {
		size += len(k) + len(v)
	}
	if size > maxAttachmentMetadataSize {
		allErrs = append(allErrs, field.TooLong(p.Child("attachmentMetadata"), "", maxAttachmentMetadataSize))
	}
	allErrs = append(allErrs, volumeError(st.AttachError, p.Child("attachError"))...)
	return append(allErrs, volumeError(st.DetachError, p.Child("detachError"))...)
}

func volumeError(e *storagev1.VolumeError, p *field.Path) field.ErrorList {
	if e == nil {
		return nil
	}
	var allErrs field.ErrorList
	if len(e.Message) > maxVolumeErrorMessageLen {
		allErrs = append(allErrs, field.TooLong(p.Child("message"), "", maxVolumeErrorMessageLen))
	}
	if e.ErrorCode != nil && *e.ErrorCode < 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("errorCode"), *e.ErrorCode, utilvalidation.InclusiveRangeError(0, math.MaxInt32)))
	}
	return allErrs
}

// ValidateVolumeAttachmentUpdate keeps the spec fixed: an attachment is recreated,
// never retargeted.
func ValidateVolumeAttachmentUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(va, old *storagev1.VolumeAttachment) field.ErrorList {
		allErrs := validateVolumeAttachment(va)
		allErrs = append(allErrs, objectMetaUpdate(&va.ObjectMeta, &old.ObjectMeta)...)
		return append(allErrs, immutable(va.Spec, old.Spec, field.NewPath("spec"))...)
	})
}

// ValidateVolumeAttachmentStatusUpdate checks an update through
// volumeattachments/status with the same rules as the main resource, as upstream.
func ValidateVolumeAttachmentStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return ValidateVolumeAttachmentUpdate(obj, old)
}

// ValidateVolumeAttributesClass checks a VolumeAttributesClass on create.
func ValidateVolumeAttributesClass(obj runtime.Object) field.ErrorList {
	return create(obj, validateVolumeAttributesClass)
}

func validateVolumeAttributesClass(c *storagev1.VolumeAttributesClass) field.ErrorList {
	allErrs := objectMeta(&c.ObjectMeta, false, NameIsDNSSubdomain)
	allErrs = append(allErrs, storageProvisioner(c.DriverName, field.NewPath("driverName"))...)
	return append(allErrs, storageParameters(c.Parameters, false, field.NewPath("parameters"))...)
}

// ValidateVolumeAttributesClassUpdate forbids changing the driver and the parameters.
func ValidateVolumeAttributesClassUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(c, old *storagev1.VolumeAttributesClass) field.ErrorList {
		allErrs := objectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta)
		if c.DriverName != old.DriverName {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("driverName"), "updates to driverName are forbidden."))
		}
		if !reflect.DeepEqual(old.Parameters, c.Parameters) {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
		}
		return append(allErrs, validateVolumeAttributesClass(c)...)
	})
}
