package defaults

import (
	"time"

	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerResourceGroup installs the defaults of resource.k8s.io/v1: device requests
// ask for exactly one device, tolerations compare with Equal, taints get the time
// they were added.
func registerResourceGroup(s *runtime.Scheme) {
	add(s, resourceClaim)
	addList(s, func(l *resourcev1.ResourceClaimList) []resourcev1.ResourceClaim { return l.Items }, resourceClaim)
	add(s, resourceClaimTemplate)
	addList(s, func(l *resourcev1.ResourceClaimTemplateList) []resourcev1.ResourceClaimTemplate { return l.Items }, resourceClaimTemplate)
	add(s, resourceSlice)
	addList(s, func(l *resourcev1.ResourceSliceList) []resourcev1.ResourceSlice { return l.Items }, resourceSlice)
	add(s, deviceTaintRule)
	addList(s, func(l *resourcev1.DeviceTaintRuleList) []resourcev1.DeviceTaintRule { return l.Items }, deviceTaintRule)
}

// draNow is the clock of taint timestamps; tests replace it.
var draNow = time.Now

func deviceTaint(t *resourcev1.DeviceTaint) {
	if t.TimeAdded == nil {
		t.TimeAdded = &metav1.Time{Time: draNow().Truncate(time.Second)}
	}
}

func deviceTolerations(list []resourcev1.DeviceToleration) {
	for i := range list {
		orDefault(&list[i].Operator, resourcev1.DeviceTolerationOpEqual)
	}
}

// deviceCount defaults an allocation mode to ExactCount and its count to one.
func deviceCount(mode *resourcev1.DeviceAllocationMode, count *int64) {
	orDefault(mode, resourcev1.DeviceAllocationModeExactCount)
	if *mode == resourcev1.DeviceAllocationModeExactCount {
		orDefault(count, 1)
	}
}

func deviceClaimSpec(spec *resourcev1.ResourceClaimSpec) {
	for i := range spec.Devices.Requests {
		r := &spec.Devices.Requests[i]
		if e := r.Exactly; e != nil {
			deviceCount(&e.AllocationMode, &e.Count)
			deviceTolerations(e.Tolerations)
		}
		for j := range r.FirstAvailable {
			sub := &r.FirstAvailable[j]
			deviceCount(&sub.AllocationMode, &sub.Count)
			deviceTolerations(sub.Tolerations)
		}
	}
}

func resourceClaim(c *resourcev1.ResourceClaim) {
	deviceClaimSpec(&c.Spec)
	if a := c.Status.Allocation; a != nil {
		for i := range a.Devices.Results {
			deviceTolerations(a.Devices.Results[i].Tolerations)
		}
	}
}

func resourceClaimTemplate(t *resourcev1.ResourceClaimTemplate) {
	deviceClaimSpec(&t.Spec.Spec)
}

func resourceSlice(s *resourcev1.ResourceSlice) {
	for i := range s.Spec.Devices {
		for j := range s.Spec.Devices[i].Taints {
			deviceTaint(&s.Spec.Devices[i].Taints[j])
		}
	}
}

func deviceTaintRule(r *resourcev1.DeviceTaintRule) {
	deviceTaint(&r.Spec.Taint)
}
