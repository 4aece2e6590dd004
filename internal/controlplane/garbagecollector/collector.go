// Package garbagecollector is kube-controller-manager's garbage collector: objects
// whose owners (metadata.ownerReferences) are gone are deleted; an owner deleted with
// propagationPolicy Foreground waits (foregroundDeletion finalizer) until its blocking
// dependents are gone; one deleted with Orphan (orphan finalizer) has its references
// removed from its dependents first. Cycles in foreground deletion are broken as
// upstream does, by unblocking the references of a dependent that is itself waiting.
package garbagecollector

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"

	"github.com/kapi-dev/kapi/internal/controlplane"
)

// rediscoverEvery is how often the collector looks for new resources (custom
// resources), as upstream's 30s resync of its monitors.
const rediscoverEvery = 30 * time.Second

// syncTimeout bounds the wait for new informers to fill.
const syncTimeout = 30 * time.Second

// ignored resources are never collected, as upstream (events are high volume and
// served twice).
var ignored = map[schema.GroupResource]bool{
	{Group: "", Resource: "events"}:              true,
	{Group: "events.k8s.io", Resource: "events"}: true,
}

// Collector deletes objects whose owners are gone.
type Collector struct {
	// client acts as system:serviceaccount:kube-system:generic-garbage-collector.
	client    metadata.Interface
	discovery discovery.DiscoveryInterface
	// reader lists and watches every resource, as system:kube-controller-manager.
	reader metadata.Interface
	graph  *graph
	queue  *controlplane.Queue

	mu sync.Mutex // guards kinds and watched
	// kinds maps an owner's group and kind to its resource and scope.
	kinds map[schema.GroupKind]resourceInfo
	// watched are the resources with an informer.
	watched map[schema.GroupVersionResource]bool
}

type resourceInfo struct {
	gvr        schema.GroupVersionResource
	namespaced bool
}

// New returns a collector; reader should read as system:kube-controller-manager,
// client write as the garbage collector.
func New(client metadata.Interface, disc discovery.DiscoveryInterface, reader metadata.Interface) *Collector {
	return &Collector{
		client: client, discovery: disc, reader: reader, graph: newGraph(),
		queue: controlplane.NewQueue(controlplane.GarbageCollector),
		kinds: map[schema.GroupKind]resourceInfo{}, watched: map[schema.GroupVersionResource]bool{},
	}
}

// Run discovers the resources, watches them and works until ctx ends.
func (c *Collector) Run(ctx context.Context, workers int) {
	c.sync(ctx)
	go func() {
		t := time.NewTicker(rediscoverEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				c.sync(ctx)
			}
		}
	}()
	c.queue.Run(ctx, workers, c.process)
}

// sync starts informers for resources not yet watched.
func (c *Collector) sync(ctx context.Context) {
	lists, err := c.discovery.ServerPreferredResources()
	if err != nil && len(lists) == 0 {
		slog.Debug("garbage collector discovery failed", "err", err)
		return
	}
	var started []cache.InformerSynced
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range list.APIResources {
			gvr := gv.WithResource(r.Name)
			if strings.Contains(r.Name, "/") || ignored[gvr.GroupResource()] || !hasVerbs(r.Verbs, "list", "watch", "delete") {
				continue
			}
			c.mu.Lock()
			c.kinds[schema.GroupKind{Group: gv.Group, Kind: r.Kind}] = resourceInfo{gvr: gvr, namespaced: r.Namespaced}
			seen := c.watched[gvr]
			c.watched[gvr] = true
			c.mu.Unlock()
			if seen {
				continue
			}
			started = append(started, c.monitor(ctx, gvr))
		}
	}
	// Owners missing from the caches are looked up live, so a resource whose
	// informer cannot sync only delays the start, it never blocks the collector.
	waitCtx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	cache.WaitForCacheSync(waitCtx.Done(), started...)
}

// monitor watches the metadata of one resource until ctx ends, feeding the graph.
// It is a plain informer, whose handler runs on the informer's own goroutine,
// rather than a shared one: the collector is the only reader, and a shared
// informer's per-handler buffer (1024 slots) and three more goroutines, times
// every resource the API serves, were a good part of an idle kapi's memory.
func (c *Collector) monitor(ctx context.Context, gvr schema.GroupVersionResource) cache.InformerSynced {
	res := c.reader.Resource(gvr).Namespace(metav1.NamespaceAll)
	_, informer := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
				return res.List(ctx, opts)
			},
			WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
				return res.Watch(ctx, opts)
			},
		},
		ObjectType: &metav1.PartialObjectMetadata{},
		Handler:    c.handler(gvr),
		Transform:  graphView,
	})
	go informer.RunWithContext(ctx)
	return informer.HasSynced
}

// graphView is the monitors' transform: the informer's store keeps only the
// metadata the graph is built from, not labels, annotations or managed fields.
func graphView(obj any) (any, error) {
	if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
		m.Labels, m.Annotations, m.ManagedFields = nil, nil, nil
	}
	return obj, nil
}

func hasVerbs(have []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// handler keeps the graph current and queues what an event may have unblocked.
func (c *Collector) handler(gvr schema.GroupVersionResource) cache.ResourceEventHandler {
	upsert := func(obj any) {
		m, ok := obj.(*metav1.PartialObjectMetadata)
		if !ok {
			return
		}
		n := &node{gvr: gvr, namespace: m.Namespace, name: m.Name, uid: m.UID, owners: m.OwnerReferences,
			deleting: m.DeletionTimestamp != nil, finalizers: m.Finalizers}
		for _, old := range c.graph.upsert(n) {
			c.queue.Add(string(old))
		}
		if len(n.owners) > 0 || n.deleting {
			c.queue.Add(string(n.uid))
		}
		if n.deleting {
			for _, o := range n.owners {
				c.queue.Add(string(o.UID))
			}
			for _, d := range c.graph.dependentsOf(n.uid) {
				c.queue.Add(string(d.uid))
			}
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    upsert,
		UpdateFunc: func(_, obj any) { upsert(obj) },
		DeleteFunc: func(obj any) {
			if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = tomb.Obj
			}
			m, ok := obj.(*metav1.PartialObjectMetadata)
			if !ok {
				return
			}
			deps, owners := c.graph.remove(m.UID)
			for _, uid := range append(deps, owners...) {
				c.queue.Add(string(uid))
			}
		},
	}
}

// resolve maps an owner reference to its resource, using the preferred version of
// the owner's group and kind.
func (c *Collector) resolve(ref metav1.OwnerReference) (resourceInfo, bool) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return resourceInfo{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	info, ok := c.kinds[schema.GroupKind{Group: gv.Group, Kind: ref.Kind}]
	return info, ok
}

func (c *Collector) process(ctx context.Context, key string) error {
	n, ok := c.graph.get(types.UID(key))
	if !ok {
		return nil
	}
	if n.deleting {
		return c.processDeleting(ctx, n)
	}
	if len(n.owners) == 0 {
		return nil
	}
	return c.processDependent(ctx, n)
}
