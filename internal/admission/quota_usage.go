package admission

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// QuotaObjects lists the objects of one resource in the quota's namespace. ok is
// false when the caller cannot list that resource (not served, not watched yet):
// the quota names it backs are then left out of the usage.
type QuotaObjects func(gr schema.GroupResource) (objs []runtime.Object, ok bool, err error)

// QuotaUsage counts what the objects use of q's spec.hard, honouring its scopes and
// scope selector. Every name backed by a listed resource is in the result (zero when
// nothing uses it). Admission's first sync of a quota and the resource-quota
// controller both count through here, so they agree on every object.
func QuotaUsage(q *corev1.ResourceQuota, objects QuotaObjects) (corev1.ResourceList, error) {
	hard := resourceNames(q.Spec.Hard)
	probe := *q
	probe.Status.Hard = q.Spec.Hard // match against the spec being synced
	used := corev1.ResourceList{}
	for _, gr := range quotaResources(hard) {
		items, ok, err := objects(gr)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		ev := evaluatorFor(gr)
		names := ev.matching(hard)
		for _, n := range names {
			if _, set := used[corev1.ResourceName(n)]; !set {
				used[corev1.ResourceName(n)] = *resource.NewQuantity(0, resource.DecimalSI)
			}
		}
		for _, item := range items {
			if !objectFits(ev, item) {
				continue
			}
			if ok, err := matches(ev, &probe, item); err != nil || !ok {
				continue
			}
			used = addLists(used, mask(ev.usage(item), names))
		}
	}
	return used, nil
}

// QuotaResources lists the resources whose objects hard counts.
func QuotaResources(hard corev1.ResourceList) []schema.GroupResource {
	return quotaResources(resourceNames(hard))
}

// QuotaIgnored reports whether gr is never charged against a quota (events).
func QuotaIgnored(gr schema.GroupResource) bool { return quotaIgnored[gr] }

// QuotaObjectUsage is everything obj, an object of gr, costs before any quota's
// scopes apply; nil when obj is not of the type gr's evaluator expects.
func QuotaObjectUsage(gr schema.GroupResource, obj runtime.Object) corev1.ResourceList {
	ev := evaluatorFor(gr)
	if !objectFits(ev, obj) {
		return nil
	}
	return ev.usage(obj)
}
