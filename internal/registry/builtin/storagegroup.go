package builtin

import (
	storagev1 "k8s.io/api/storage/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// storageGroup serves storage.k8s.io/v1. Every resource but CSIStorageCapacity
// answers DELETE with the deleted object, as upstream. The feature gates that guard
// CSIDriver and VolumeAttachment fields are all on in v1.37, so nothing is dropped
// there; CSINode storage health (CSIVolumeHealth, alpha) is.
func storageGroup() []*registry.Resource {
	gv := storagev1.SchemeGroupVersion
	kind := func(kind, name, singular string) *registry.Resource {
		return &registry.Resource{
			GroupVersion: gv, Kind: kind, Name: name, SingularName: singular,
			StorageKind: gv.WithKind(kind), KeyPrefix: name,
			ReturnDeletedObject: true,
		}
	}

	drivers := kind("CSIDriver", "csidrivers", "csidriver")
	drivers.RequireResourceVersion = true
	// Upstream counts spec changes in metadata.generation but does not start it at 1.
	drivers.PrepareForUpdate = func(obj, old runtime.Object) {
		d, o := obj.(*storagev1.CSIDriver), old.(*storagev1.CSIDriver)
		if !apiequality.Semantic.DeepEqual(d.Spec, o.Spec) {
			d.Generation = o.Generation + 1
		}
	}
	drivers.Validate, drivers.ValidateUpdate = v.ValidateCSIDriver, v.ValidateCSIDriverUpdate
	drivers.Table = printers.CSIDriver()

	nodes := kind("CSINode", "csinodes", "csinode")
	nodes.Status, nodes.RequireResourceVersion = true, true
	nodes.Validate, nodes.ValidateUpdate = v.ValidateCSINode, v.ValidateCSINodeUpdate
	nodes.ValidateStatusUpdate = csiNodeStatusUpdate
	nodes.Table = printers.CSINode()

	capacities := kind("CSIStorageCapacity", "csistoragecapacities", "csistoragecapacity")
	capacities.Namespaced, capacities.ReturnDeletedObject, capacities.RequireResourceVersion = true, false, true
	capacities.Validate, capacities.ValidateUpdate = v.ValidateCSIStorageCapacity, v.ValidateCSIStorageCapacityUpdate
	capacities.Table = printers.CSIStorageCapacity()

	classes := kind("StorageClass", "storageclasses", "storageclass")
	classes.ShortNames = []string{"sc"}
	classes.Validate, classes.ValidateUpdate = v.ValidateStorageClass, v.ValidateStorageClassUpdate
	classes.Table = storageClassTable()

	attachments := kind("VolumeAttachment", "volumeattachments", "volumeattachment")
	attachments.Status, attachments.RequireResourceVersion = true, true
	attachments.Validate, attachments.ValidateUpdate = v.ValidateVolumeAttachment, v.ValidateVolumeAttachmentUpdate
	attachments.ValidateStatusUpdate = v.ValidateVolumeAttachmentStatusUpdate
	attachments.Table = printers.VolumeAttachment()

	attributes := kind("VolumeAttributesClass", "volumeattributesclasses", "volumeattributesclass")
	attributes.ShortNames = []string{"vac"}
	attributes.Validate, attributes.ValidateUpdate = v.ValidateVolumeAttributesClass, v.ValidateVolumeAttributesClassUpdate
	attributes.Table = printers.VolumeAttributesClass()

	return []*registry.Resource{drivers, nodes, capacities, classes, attachments, attributes}
}

// csiNodeStatusUpdate validates csinodes/status. With CSIVolumeHealth off (alpha in
// v1.37) upstream drops storage health a CSINode did not already report; the Store
// has no status-prepare hook, so the field is dropped here, on the object about to
// be written, before it is validated.
func csiNodeStatusUpdate(obj, old runtime.Object) field.ErrorList {
	n, okNew := obj.(*storagev1.CSINode)
	o, okOld := old.(*storagev1.CSINode)
	if okNew && okOld && len(o.Status.StorageHealth) == 0 {
		n.Status.StorageHealth = nil
	}
	return v.ValidateCSINodeStatusUpdate(obj, old)
}
