package bootstrap

import (
	"context"
	"log/slog"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// IdentityLeaseGCPeriod is how often the identity leases of API servers that
// stopped renewing them are deleted, as upstream's lease garbage collector does.
const IdentityLeaseGCPeriod = time.Hour

// identityLeaseSelector selects the identity leases of kube-apiserver instances.
const identityLeaseSelector = "apiserver.kubernetes.io/identity=kube-apiserver"

// collectIdentityLeases deletes the expired identity leases in kube-system: those
// whose renew time plus duration lies in the past, or that lack either. Another
// instance deleting the same lease first is fine.
func (c *Controller) collectIdentityLeases(ctx context.Context) {
	st := c.cfg.Stores(leasesGVR)
	if st == nil {
		return
	}
	out, err := st.List(ctx, metav1.NamespaceSystem, &metav1.ListOptions{LabelSelector: identityLeaseSelector})
	if err != nil {
		slog.Warn("listing the apiserver identity leases", "err", err)
		return
	}
	for i := range out.(*coordinationv1.LeaseList).Items {
		lease := &out.(*coordinationv1.LeaseList).Items[i]
		if !identityLeaseExpired(lease, c.cfg.Now()) {
			continue
		}
		// Only the lease as listed: one renewed since then is kept.
		precondition := &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &lease.ResourceVersion}}
		_, _, err := st.Delete(ctx, metav1.NamespaceSystem, lease.Name, precondition, nil, false)
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			slog.Warn("deleting an expired apiserver identity lease", "lease", lease.Name, "err", err)
		}
	}
}

// identityLeaseExpired reports whether lease was last renewed longer than its
// duration before now.
func identityLeaseExpired(lease *coordinationv1.Lease, now time.Time) bool {
	s := lease.Spec
	return s.RenewTime == nil || s.LeaseDurationSeconds == nil ||
		s.RenewTime.Add(time.Duration(*s.LeaseDurationSeconds)*time.Second).Before(now)
}
