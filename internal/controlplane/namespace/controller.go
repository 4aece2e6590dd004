// Package namespace is kube-controller-manager's namespace controller: when a
// namespace is deleted it deletes everything in it (every namespaced resource the
// API serves, custom resources included), keeps upstream's deletion conditions on
// the namespace, and removes the "kubernetes" finalizer so the namespace goes away.
package namespace

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/discovery"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/cache"

	"github.com/kapi-dev/kapi/internal/controlplane"
)

// settleDelay is how long a namespace's deletion waits before the first pass, so
// that creates admitted just before the namespace turned Terminating are committed
// and seen. Upstream waits 5s; kapi's NamespaceLifecycle admission reads the
// namespace live, so only requests already past admission can race.
const settleDelay = 500 * time.Millisecond

// Controller deletes the content of terminating namespaces.
type Controller struct {
	deleter deleter
	synced  cache.InformerSynced
	queue   *controlplane.Queue
}

// New wires the controller to the namespace informer. client, meta and disc
// must act as system:serviceaccount:kube-system:namespace-controller.
func New(client corev1client.CoreV1Interface, meta metadata.Interface, disc discovery.DiscoveryInterface, namespaces coreinformers.NamespaceInformer) (*Controller, error) {
	c := &Controller{
		deleter: deleter{client: client, metadata: meta, discovery: disc, now: time.Now},
		synced:  namespaces.Informer().HasSynced,
		queue:   controlplane.NewQueue(controlplane.Namespace),
	}
	if _, err := namespaces.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.namespaceChanged,
		UpdateFunc: func(_, obj any) { c.namespaceChanged(obj) },
	}); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Controller) namespaceChanged(obj any) {
	if ns, ok := obj.(*corev1.Namespace); ok && ns.DeletionTimestamp != nil {
		c.queue.AddAfter(ns.Name, settleDelay)
	}
}

// Run works until ctx ends; it returns early only if the cache never syncs.
func (c *Controller) Run(ctx context.Context, workers int) {
	if !cache.WaitForCacheSync(ctx.Done(), c.synced) {
		return
	}
	c.queue.Run(ctx, workers, c.deleter.run)
}
