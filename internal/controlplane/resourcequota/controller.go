// Package resourcequota is kube-controller-manager's resource-quota controller: it
// keeps every ResourceQuota's status current, status.hard a copy of spec.hard and
// status.used a fresh count of the namespace's objects. The ResourceQuota admission
// plugin charges creates as they happen; this controller gives usage back when
// objects go away or stop counting (a pod that finished), and counts what a new or
// changed quota limits. Usage is computed by the admission plugin's evaluators, so
// the two always agree on what an object costs.
package resourcequota

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/controlplane"
)

// DefaultResyncPeriod is how often every quota is recounted even without an event,
// upstream's --resource-quota-sync-period default. It catches what no event
// announces, such as a pod passing the end of its deletion grace period.
const DefaultResyncPeriod = 5 * time.Minute

// Config is what the controller needs from the server.
type Config struct {
	// Client writes quota status; it acts as
	// system:serviceaccount:kube-system:resourcequota-controller.
	Client corev1client.ResourceQuotasGetter
	// Metadata and Discovery watch the resources that only object counts need
	// (configmaps, secrets, custom resources, ...), started when a quota names them.
	Metadata  metadata.Interface
	Discovery discovery.DiscoveryInterface
	// Informers supplies the quotas and the typed objects whose usage depends on
	// their content (pods, services, persistentvolumeclaims).
	Informers *controlplane.Informers
	// ResyncPeriod is DefaultResyncPeriod when zero.
	ResyncPeriod time.Duration
}

// Controller recomputes ResourceQuota status.
type Controller struct {
	client  corev1client.ResourceQuotasGetter
	quotas  corelisters.ResourceQuotaLister
	sources *sources
	synced  []cache.InformerSynced
	queue   *controlplane.Queue
	resync  time.Duration
}

// New wires the controller to its informers; cfg.Informers must be started after.
func New(cfg Config) (*Controller, error) {
	c := &Controller{
		client: cfg.Client,
		queue:  controlplane.NewQueue(controlplane.ResourceQuota),
		resync: cfg.ResyncPeriod,
	}
	if c.resync <= 0 {
		c.resync = DefaultResyncPeriod
	}
	quotas := cfg.Informers.ResourceQuotas()
	c.quotas = quotas.Lister()
	c.synced = append(c.synced, quotas.Informer().HasSynced)
	if _, err := quotas.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.quotaAdded,
		UpdateFunc: c.quotaUpdated,
		DeleteFunc: func(obj any) { c.objectChanged(resourceQuotas, obj) },
	}); err != nil {
		return nil, err
	}
	c.sources = newSources(cfg, c.objectChanged)
	return c, nil
}

var resourceQuotas = schema.GroupResource{Resource: "resourcequotas"}

// quotaAdded counts a new quota (its neighbours that count quotas were charged
// for it by admission).
func (c *Controller) quotaAdded(obj any) { c.enqueue(obj) }

// quotaUpdated recounts a quota whose limits changed or whose status does not
// cover them. Status-only changes (admission's charges, this controller's own
// writes) are not a reason: recounting then could race a charged object that is
// not stored yet.
func (c *Controller) quotaUpdated(oldObj, newObj any) {
	old, ok1 := oldObj.(*corev1.ResourceQuota)
	cur, ok2 := newObj.(*corev1.ResourceQuota)
	if !ok1 || !ok2 {
		return
	}
	if !equality.Semantic.DeepEqual(old.Spec, cur.Spec) || !sameList(cur.Spec.Hard, cur.Status.Hard) {
		c.enqueue(cur)
	}
}

func (c *Controller) enqueue(obj any) {
	if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
		c.queue.Add(key)
	}
}

// objectChanged queues every quota in the object's namespace that counts gr.
func (c *Controller) objectChanged(gr schema.GroupResource, obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	m, ok := obj.(metav1.Object)
	if !ok || m.GetNamespace() == "" {
		return
	}
	quotas, err := c.quotas.ResourceQuotas(m.GetNamespace()).List(labels.Everything())
	if err != nil {
		return
	}
	for _, q := range quotas {
		for _, counted := range admission.QuotaResources(q.Spec.Hard) {
			if counted == gr {
				c.enqueue(q)
				break
			}
		}
	}
}

// enqueueAll queues every quota: the periodic full recount.
func (c *Controller) enqueueAll() {
	quotas, err := c.quotas.List(labels.Everything())
	if err != nil {
		return
	}
	for _, q := range quotas {
		c.enqueue(q)
	}
}

// Run works until ctx ends; it returns early only if the caches never sync.
func (c *Controller) Run(ctx context.Context, workers int) {
	c.sources.start(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		return
	}
	go func() {
		t := time.NewTicker(c.resync)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				c.enqueueAll()
			}
		}
	}()
	c.queue.Run(ctx, workers, c.sync)
}
