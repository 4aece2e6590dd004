package resourcequota

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kapi-dev/kapi/internal/controlplane"
)

// listedInformer is an informer whose cache has listed.
type listedInformer struct{ cache.SharedIndexInformer }

func (listedInformer) HasSynced() bool { return true }

// statusRecorder records the quota statuses written.
type statusRecorder struct {
	corev1client.ResourceQuotaInterface
	written []corev1.ResourceQuotaStatus
}

func (r *statusRecorder) ResourceQuotas(string) corev1client.ResourceQuotaInterface { return r }

func (r *statusRecorder) UpdateStatus(_ context.Context, q *corev1.ResourceQuota, _ metav1.UpdateOptions) (*corev1.ResourceQuota, error) {
	r.written = append(r.written, q.Status)
	return q, nil
}

// TestSyncWhileCacheWarmsUp counts a quota that admission charged for 7 pods from
// a pods cache that holds 5 of them: while the cache is warming up the count must
// not lower usage and the quota is counted again later; once warm, the count
// stands.
func TestSyncWhileCacheWarmsUp(t *testing.T) {
	q := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "pods", Namespace: "ns"},
		Spec:       corev1.ResourceQuotaSpec{Hard: list("pods", "10")},
		Status:     corev1.ResourceQuotaStatus{Hard: list("pods", "10"), Used: list("pods", "7")},
	}
	quotas := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	if err := quotas.Add(q); err != nil {
		t.Fatal(err)
	}
	var stored []runtime.Object
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		stored = append(stored, pod(name))
	}
	podsGR := schema.GroupResource{Resource: "pods"}
	recorder := &statusRecorder{}
	c := &Controller{
		client: recorder,
		quotas: corelisters.NewResourceQuotaLister(quotas),
		sources: &sources{
			typed: map[schema.GroupResource]typedSource{podsGR: {
				informer: listedInformer{},
				list:     func(string) ([]runtime.Object, error) { return stored, nil },
			}},
			syncedAt: map[schema.GroupResource]time.Time{},
		},
	}

	err := c.sync(context.Background(), "ns/pods")
	var later *controlplane.RetryAfter
	if !errors.As(err, &later) || later.Delay <= 0 || later.Delay > warmUp {
		t.Fatalf("sync while warming up = %v, want a recount within %v", err, warmUp)
	}
	if len(recorder.written) != 0 {
		t.Fatalf("sync while warming up wrote %+v, want usage kept at 7", recorder.written)
	}

	c.sources.syncedAt[podsGR] = time.Now().Add(-warmUp)
	if err := c.sync(context.Background(), "ns/pods"); err != nil {
		t.Fatalf("sync once warm = %v", err)
	}
	if len(recorder.written) != 1 || !sameList(recorder.written[0].Used, list("pods", "5")) {
		t.Errorf("sync once warm wrote %+v, want used pods 5", recorder.written)
	}
}
