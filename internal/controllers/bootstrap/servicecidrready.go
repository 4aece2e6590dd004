package bootstrap

import (
	"context"
	"errors"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// serviceCIDRReadyMessage is the message upstream's default ServiceCIDR controller
// puts on the Ready condition.
const serviceCIDRReadyMessage = "Kubernetes default Service CIDR is ready"

// serviceCIDRManager owns the Ready condition, as upstream's controller (which
// applies it; kapi records an update).
const serviceCIDRManager = "kubernetes-service-cidr-controller"

// markServiceCIDRReady sets Ready=True on the default ServiceCIDR when its CIDRs are
// this server's range and no Ready condition is decided yet, as upstream's
// controller does. A mismatch, or Ready=False set by someone else, is left alone.
func (c *Controller) markServiceCIDRReady(ctx context.Context) error {
	st := c.cfg.Stores(serviceCIDRGVR)
	if st == nil {
		return nil
	}
	want := []string{c.cfg.ServiceRange.String()}
	needsMark := func(sc *networkingv1.ServiceCIDR) bool {
		if !slices.Equal(sc.Spec.CIDRs, want) {
			return false
		}
		cond := apimeta.FindStatusCondition(sc.Status.Conditions, networkingv1.ServiceCIDRConditionReady)
		return cond == nil || cond.Status == metav1.ConditionUnknown
	}
	cur, err := st.Get(ctx, "", "kubernetes", &metav1.GetOptions{})
	if err != nil {
		return err
	}
	if sc, ok := cur.(*networkingv1.ServiceCIDR); !ok || !needsMark(sc) {
		return nil
	}
	_, _, err = st.Update(ctx, "", "kubernetes", "status", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		sc, ok := current.(*networkingv1.ServiceCIDR)
		if !ok || sc == nil {
			return nil, errors.New("default ServiceCIDR vanished during update")
		}
		if needsMark(sc) {
			apimeta.SetStatusCondition(&sc.Status.Conditions, metav1.Condition{
				Type:               networkingv1.ServiceCIDRConditionReady,
				Status:             metav1.ConditionTrue,
				Message:            serviceCIDRReadyMessage,
				LastTransitionTime: metav1.Now().Rfc3339Copy(),
			})
		}
		return sc, nil
	}, st.ManagedBy(serviceCIDRManager, "status"), nil, false, false)
	return err
}
