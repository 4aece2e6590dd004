package server

import (
	"context"
	"net"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/controllers/ipalloc"
	"github.com/kapi-dev/kapi/internal/registry"
)

// serviceCIDRRanges lists the ranges of the ServiceCIDR objects that take
// allocations, as upstream's allocator counts them: not being deleted, and Ready
// or not yet judged (no Ready condition). It reads storage, not the cache: a
// ServiceCIDR created a moment ago serves the next Service. The allocator asks
// only for an address outside its own range, or when that is full.
func serviceCIDRRanges(st *registry.Store) ipalloc.ListServiceCIDRs {
	return func(ctx context.Context) ([]*net.IPNet, error) {
		obj, err := st.List(ctx, "", &metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		list, _ := obj.(*networkingv1.ServiceCIDRList)
		if list == nil {
			return nil, nil
		}
		var out []*net.IPNet
		for i := range list.Items {
			sc := &list.Items[i]
			if sc.DeletionTimestamp != nil || !serviceCIDRReady(sc) {
				continue
			}
			for _, cidr := range sc.Spec.CIDRs {
				if _, n, err := net.ParseCIDR(cidr); err == nil {
					out = append(out, n)
				}
			}
		}
		return out, nil
	}
}

func serviceCIDRReady(sc *networkingv1.ServiceCIDR) bool {
	for _, c := range sc.Status.Conditions {
		if c.Type == networkingv1.ServiceCIDRConditionReady {
			return c.Status == metav1.ConditionTrue
		}
	}
	return true
}
