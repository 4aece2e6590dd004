package printers

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Annotations that mark a StorageClass as the cluster default.
const (
	defaultStorageClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaDefaultStorageClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

// StorageClass prints NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE
// ALLOWVOLUMEEXPANSION AGE. One object is printed as upstream prints a single
// StorageClass: without the " (default)" name suffix, which upstream adds only when
// printing a list (see EffectiveDefaultStorageClass).
func StorageClass() *registry.Table { return storageClassTable(time.Now) }

func storageClassTable(now clock) *registry.Table {
	doc := storagev1.StorageClass{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Provisioner", "string", doc["provisioner"]),
		column("ReclaimPolicy", "string", doc["reclaimPolicy"]),
		column("VolumeBindingMode", "string", doc["volumeBindingMode"]),
		column("AllowVolumeExpansion", "string", doc["allowVolumeExpansion"]),
		ageColumn(),
	}
	return typed("storageclasses", cols, func(sc *storagev1.StorageClass) []any {
		return storageClassCells(now, sc, "")
	})
}

// storageClassCells renders one row; the class named effectiveDefault gets the
// " (default)" suffix.
func storageClassCells(now clock, sc *storagev1.StorageClass, effectiveDefault string) []any {
	name := sc.Name
	if effectiveDefault != "" && name == effectiveDefault {
		name += " (default)"
	}
	return []any{
		name,
		sc.Provisioner,
		string(deref(sc.ReclaimPolicy, corev1.PersistentVolumeReclaimDelete)),
		string(deref(sc.VolumeBindingMode, storagev1.VolumeBindingImmediate)),
		deref(sc.AllowVolumeExpansion, false),
		since(now, sc.CreationTimestamp),
	}
}

// StorageClassListCells renders the rows of a list of StorageClasses as upstream
// does: the effective default class carries the " (default)" suffix. registry.Table
// renders objects one at a time, so nothing calls this yet.
func StorageClassListCells(items []storagev1.StorageClass) [][]any {
	return storageClassListCells(time.Now, items)
}

func storageClassListCells(now clock, items []storagev1.StorageClass) [][]any {
	def := EffectiveDefaultStorageClass(items)
	rows := make([][]any, len(items))
	for i := range items {
		rows[i] = storageClassCells(now, &items[i], def)
	}
	return rows
}

// EffectiveDefaultStorageClass returns the name of the class that acts as the
// default: of those annotated as default, the newest, and among equally new ones
// the first by name; "" when none is annotated.
func EffectiveDefaultStorageClass(items []storagev1.StorageClass) string {
	var best *storagev1.StorageClass
	for i := range items {
		sc := &items[i]
		if !isDefaultStorageClass(sc) {
			continue
		}
		switch {
		case best == nil,
			sc.CreationTimestamp.After(best.CreationTimestamp.Time),
			sc.CreationTimestamp.Equal(&best.CreationTimestamp) && sc.Name < best.Name:
			best = sc
		}
	}
	if best == nil {
		return ""
	}
	return best.Name
}

func isDefaultStorageClass(sc *storagev1.StorageClass) bool {
	return sc.Annotations[defaultStorageClassAnnotation] == "true" || sc.Annotations[betaDefaultStorageClassAnnotation] == "true"
}

// VolumeAttributesClass prints NAME DRIVERNAME AGE.
func VolumeAttributesClass() *registry.Table { return volumeAttributesClassTable(time.Now) }

func volumeAttributesClassTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("DriverName", "string", storagev1.VolumeAttributesClass{}.SwaggerDoc()["driverName"]),
		ageColumn(),
	}
	return typed("volumeattributesclasses", cols, func(c *storagev1.VolumeAttributesClass) []any {
		return []any{c.Name, c.DriverName, since(now, c.CreationTimestamp)}
	})
}

// VolumeAttachment prints NAME ATTACHER PV NODE ATTACHED AGE.
func VolumeAttachment() *registry.Table { return volumeAttachmentTable(time.Now) }

func volumeAttachmentTable(now clock) *registry.Table {
	spec := storagev1.VolumeAttachmentSpec{}.SwaggerDoc()
	attacher := column("Attacher", "string", spec["attacher"])
	attacher.Format = "name"
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		attacher,
		column("PV", "string", storagev1.VolumeAttachmentSource{}.SwaggerDoc()["persistentVolumeName"]),
		column("Node", "string", spec["nodeName"]),
		column("Attached", "boolean", storagev1.VolumeAttachmentStatus{}.SwaggerDoc()["attached"]),
		ageColumn(),
	}
	return typed("volumeattachments", cols, func(va *storagev1.VolumeAttachment) []any {
		return []any{va.Name, va.Spec.Attacher, deref(va.Spec.Source.PersistentVolumeName, ""), va.Spec.NodeName,
			va.Status.Attached, since(now, va.CreationTimestamp)}
	})
}

// CSINode prints NAME DRIVERS AGE.
func CSINode() *registry.Table { return csiNodeTable(time.Now) }

func csiNodeTable(now clock) *registry.Table {
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("Drivers", "integer", "Drivers indicates the number of CSI drivers registered on the node"),
		ageColumn(),
	}
	return typed("csinodes", cols, func(n *storagev1.CSINode) []any {
		return []any{n.Name, int64(len(n.Spec.Drivers)), since(now, n.CreationTimestamp)}
	})
}

// CSIDriver prints NAME ATTACHREQUIRED PODINFOONMOUNT STORAGECAPACITY
// TOKENREQUESTS REQUIRESREPUBLISH MODES AGE.
func CSIDriver() *registry.Table { return csiDriverTable(time.Now) }

func csiDriverTable(now clock) *registry.Table {
	doc := storagev1.CSIDriverSpec{}.SwaggerDoc()
	cols := []metav1.TableColumnDefinition{
		nameColumn(),
		column("AttachRequired", "boolean", doc["attachRequired"]),
		column("PodInfoOnMount", "boolean", doc["podInfoOnMount"]),
		column("StorageCapacity", "boolean", doc["storageCapacity"]),
		column("TokenRequests", "string", doc["tokenRequests"]),
		column("RequiresRepublish", "boolean", doc["requiresRepublish"]),
		column("Modes", "string", doc["volumeLifecycleModes"]),
		ageColumn(),
	}
	return typed("csidrivers", cols, func(d *storagev1.CSIDriver) []any {
		spec := &d.Spec
		tokens := unset
		if spec.TokenRequests != nil {
			audiences := make([]string, len(spec.TokenRequests))
			for i, r := range spec.TokenRequests {
				audiences[i] = r.Audience
			}
			tokens = strings.Join(audiences, ",")
		}
		modes := make([]string, len(spec.VolumeLifecycleModes))
		for i, m := range spec.VolumeLifecycleModes {
			modes[i] = string(m)
		}
		return []any{
			d.Name,
			deref(spec.AttachRequired, true),
			deref(spec.PodInfoOnMount, false),
			deref(spec.StorageCapacity, false),
			tokens,
			deref(spec.RequiresRepublish, false),
			cmpOr(strings.Join(modes, ","), none),
			since(now, d.CreationTimestamp),
		}
	})
}

// CSIStorageCapacity prints NAME CREATED AT: upstream serves capacities with the
// default table, not with the printer it has for them.
func CSIStorageCapacity() *registry.Table { return Default() }
