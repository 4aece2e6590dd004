package admission

import (
	"context"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// quotaRecountInterval is how often status.used is recounted from the stored
// objects, so deleted objects give their usage back until kapi's resource-quota
// controller (internal/controlplane/resourcequota) starts. Where kapi does not run
// that controller, the server hands the recount over at once
// (HandOverQuotaRecount): kube-controller-manager's is the one writer, as upstream.
var quotaRecountInterval = 10 * time.Second

// quotaQuietPeriod is how long after a charge a namespace is left alone: the
// charged object may not be stored yet, and recounting then would forget it.
const quotaQuietPeriod = 5 * time.Second

// Run recounts every quota's usage until ctx ends.
func (p *resourceQuota) Run(ctx context.Context) {
	t := time.NewTicker(quotaRecountInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !p.recountOff.Load() {
				p.recountAll(ctx)
			}
		}
	}
}

// recountAll recounts the quotas of every namespace not charged lately.
func (p *resourceQuota) recountAll(ctx context.Context) {
	r := p.d.Readers(resourceQuotasGVR)
	if r == nil || p.d.QuotaWriter == nil {
		return
	}
	obj, err := r.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return
	}
	list, _ := obj.(*corev1.ResourceQuotaList)
	if list == nil {
		return
	}
	for i := range list.Items {
		q := &list.Items[i]
		if last, ok := p.charged.Load(q.Namespace); ok && time.Since(last.(time.Time)) < quotaQuietPeriod {
			continue
		}
		if err := p.recount(ctx, q.Namespace, q.Name); err != nil && ctx.Err() == nil {
			slog.Debug("quota recount failed", "namespace", q.Namespace, "name", q.Name, "err", err)
		}
	}
}

// recount replaces a quota's status with a fresh count of the stored objects.
func (p *resourceQuota) recount(ctx context.Context, ns, name string) error {
	return p.updateStatus(ctx, ns, name, func(q *corev1.ResourceQuota) error {
		used, err := p.usage(ctx, q)
		if err != nil {
			return err
		}
		if equality.Semantic.DeepEqual(q.Spec.Hard, q.Status.Hard) && equality.Semantic.DeepEqual(used, q.Status.Used) {
			return nil // unchanged: storage writes nothing
		}
		if last, ok := p.charged.Load(ns); ok && time.Since(last.(time.Time)) < quotaQuietPeriod {
			return nil
		}
		q.Status.Hard, q.Status.Used = q.Spec.Hard.DeepCopy(), used
		return nil
	})
}

// HandOverQuotaRecount turns off the ResourceQuota plugin's own recount in chain:
// the resource-quota controller keeps status.used current from then on, as in
// upstream, where only kube-controller-manager recounts.
func HandOverQuotaRecount(chain Chain) {
	for _, p := range chain {
		if rq, ok := p.Plugin.(*resourceQuota); ok {
			rq.recountOff.Store(true)
		}
	}
}
