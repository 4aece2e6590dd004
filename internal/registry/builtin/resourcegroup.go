package builtin

import (
	"time"

	resourcev1 "k8s.io/api/resource/v1"
	resourcev1beta2 "k8s.io/api/resource/v1beta2"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// resourceGroup serves resource.k8s.io/v1 (dynamic resource allocation).
// DeviceTaintRules are stored upstream as v1beta2, which kapi's scheme does not
// register yet, so they are stored as v1 here.
func resourceGroup() []*registry.Resource {
	gv := resourcev1.SchemeGroupVersion
	res := func(kind, name, singular string, namespaced bool) *registry.Resource {
		return &registry.Resource{GroupVersion: gv, Name: name, SingularName: singular, Kind: kind, Namespaced: namespaced,
			StorageKind: gv.WithKind(kind), KeyPrefix: name}
	}

	dc := res("DeviceClass", "deviceclasses", "deviceclass", false)
	dc.TrackGeneration, dc.ReturnDeletedObject = true, true
	dc.Validate, dc.ValidateUpdate, dc.Table = v.ValidateDeviceClass, v.ValidateDeviceClassUpdate, printers.DeviceClass()

	dtr := res("DeviceTaintRule", "devicetaintrules", "devicetaintrule", false)
	dtr.Status, dtr.TrackGeneration, dtr.RequireResourceVersion = true, true, true
	dtr.EncodeAs = resourcev1beta2.SchemeGroupVersion.WithKind("DeviceTaintRule")
	dtr.PrepareForUpdate = func(obj, old runtime.Object) {
		// A new effect is a new taint: it gets a new timeAdded unless the client set one.
		now, was := &obj.(*resourcev1.DeviceTaintRule).Spec.Taint, &old.(*resourcev1.DeviceTaintRule).Spec.Taint
		if now.Effect != was.Effect && apiequality.Semantic.DeepEqual(now.TimeAdded, was.TimeAdded) {
			now.TimeAdded = &metav1.Time{Time: time.Now().Truncate(time.Second)}
		}
	}
	dtr.Validate, dtr.ValidateUpdate, dtr.ValidateStatusUpdate = v.ValidateDeviceTaintRule, v.ValidateDeviceTaintRuleUpdate, v.ValidateDeviceTaintRuleStatusUpdate
	dtr.Table = printers.DeviceTaintRule()

	rc := res("ResourceClaim", "resourceclaims", "resourceclaim", true)
	rc.Status, rc.ReturnDeletedObject = true, true
	rc.Validate, rc.ValidateUpdate, rc.ValidateStatusUpdate = v.ValidateResourceClaim, v.ValidateResourceClaimUpdate, v.ValidateResourceClaimStatusUpdate
	rc.Table = printers.ResourceClaim()

	rct := res("ResourceClaimTemplate", "resourceclaimtemplates", "resourceclaimtemplate", true)
	rct.ReturnDeletedObject = true
	rct.Validate, rct.ValidateUpdate, rct.Table = v.ValidateResourceClaimTemplate, v.ValidateResourceClaimTemplateUpdate, printers.ResourceClaimTemplate()

	rs := res("ResourceSlice", "resourceslices", "resourceslice", false)
	rs.TrackGeneration, rs.ReturnDeletedObject = true, true
	rs.Validate, rs.ValidateUpdate, rs.Table = v.ValidateResourceSlice, v.ValidateResourceSliceUpdate, printers.ResourceSlice()
	rs.SelectableFields = func(obj runtime.Object) fields.Set {
		s := obj.(*resourcev1.ResourceSlice)
		node := ""
		if s.Spec.NodeName != nil {
			node = *s.Spec.NodeName
		}
		return fields.Set{
			resourcev1.ResourceSliceSelectorNodeName: node,
			resourcev1.ResourceSliceSelectorDriver:   s.Spec.Driver,
			resourcev1.ResourceSliceSelectorPoolName: s.Spec.Pool.Name,
		}
	}
	rs.FieldLabelConversion = platformFieldLabels("metadata.name", resourcev1.ResourceSliceSelectorNodeName,
		resourcev1.ResourceSliceSelectorDriver, resourcev1.ResourceSliceSelectorPoolName)
	return []*registry.Resource{dc, dtr, rc, rct, rs}
}
