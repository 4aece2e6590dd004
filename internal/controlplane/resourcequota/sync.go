package resourcequota

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/controlplane"
)

// Delays of a sync that could not count everything yet.
const (
	// notSyncedDelay: a counted resource's watch is still listing.
	notSyncedDelay = 200 * time.Millisecond
	// unknownDelay: a counted resource is not served (yet); discovery is asked again
	// as often as upstream polls it.
	unknownDelay = 30 * time.Second
)

// sync recounts the quota named by key and writes its status when it changed.
func (c *Controller) sync(ctx context.Context, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil // not a key this controller queued: nothing to retry
	}
	q, err := c.quotas.ResourceQuotas(ns).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	used, err := admission.QuotaUsage(q, func(gr schema.GroupResource) ([]runtime.Object, bool, error) {
		return c.sources.list(gr, ns)
	})
	if errors.Is(err, errNotSynced) {
		return retryAfter(notSyncedDelay, "waiting for counted resources to sync")
	}
	if err != nil {
		return err
	}
	// A count from a cache that listed a moment ago may miss objects admission
	// charged and stored meanwhile: until the caches caught up, it only raises
	// usage, and the quota is counted again then.
	var recount error
	if wait := c.sources.warming(admission.QuotaResources(q.Spec.Hard), time.Now()); wait > 0 {
		used = atLeast(used, q.Status.Used)
		recount = retryAfter(wait, "counting again once the counted resources' caches caught up")
	}
	if status, changed := nextStatus(q, used); changed {
		next := q.DeepCopy()
		next.Status = status
		if _, err := c.client.ResourceQuotas(ns).UpdateStatus(ctx, next, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	for _, gr := range admission.QuotaResources(q.Spec.Hard) {
		if c.sources.unknown(gr) {
			return retryAfter(unknownDelay, fmt.Sprintf("%s is not served", gr))
		}
	}
	return recount
}

// atLeast is fresh with every value that last is above raised to last's.
func atLeast(fresh, last corev1.ResourceList) corev1.ResourceList {
	out := fresh.DeepCopy()
	for name, v := range last {
		if f, ok := out[name]; ok && f.Cmp(v) < 0 {
			out[name] = v.DeepCopy()
		}
	}
	return out
}

// nextStatus is the status q should have given the fresh usage: hard copied from
// spec, used the fresh count of every hard name, keeping the last known value of a
// name nothing could count (its resource not served). changed reports whether that
// differs from q's status.
func nextStatus(q *corev1.ResourceQuota, fresh corev1.ResourceList) (corev1.ResourceQuotaStatus, bool) {
	status := corev1.ResourceQuotaStatus{Hard: q.Spec.Hard.DeepCopy(), Used: corev1.ResourceList{}}
	if status.Hard == nil {
		status.Hard = corev1.ResourceList{}
	}
	for name := range status.Hard {
		if v, ok := fresh[name]; ok {
			status.Used[name] = v.DeepCopy()
		} else if v, ok := q.Status.Used[name]; ok {
			status.Used[name] = v.DeepCopy()
		}
	}
	// nil and empty lists are alike on the wire (omitempty): comparing them as
	// different would write the same status forever.
	changed := !sameList(status.Hard, q.Status.Hard) || !sameList(status.Used, q.Status.Used)
	return status, changed
}

// sameList compares quantities by value, a nil list equal to an empty one.
func sameList(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for name, qa := range a {
		qb, ok := b[name]
		if !ok || qa.Cmp(qb) != 0 {
			return false
		}
	}
	return true
}

func retryAfter(d time.Duration, reason string) error {
	return &controlplane.RetryAfter{Delay: d, Reason: reason}
}
