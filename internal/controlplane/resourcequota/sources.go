package resourcequota

import (
	"context"
	"errors"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/cache"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/controlplane"
)

// errNotSynced says a watch on a counted resource has not listed yet.
var errNotSynced = errors.New("a counted resource is not synced yet")

// warmUp is how long after an informer's cache first listed its counts may still
// lag admission's charges: objects stored while the cache listed reach it through
// its watch a moment later, charged already. The informers start when a quota
// first counts their resource, that is while the objects it limits are being
// created.
const warmUp = 2 * time.Second

// sources lists a namespace's objects of one resource from informer caches: typed
// informers for the resources whose usage reads their content, metadata informers
// for the object counts. Both start the first time a quota counts their resource,
// so a cluster without quotas on pods pays no pod watch and no cache of pods.
type sources struct {
	informers *controlplane.Informers
	quotas    func(ns string) ([]runtime.Object, error)
	meta      metadata.Interface
	mapper    *restmapper.DeferredDiscoveryRESTMapper
	changed   func(gr schema.GroupResource, obj any)

	mu sync.Mutex // guards ctx, typed, watched and syncedAt
	// ctx is Run's context, the lifetime of the informers started here.
	ctx     context.Context
	typed   map[schema.GroupResource]typedSource
	watched map[schema.GroupResource]cache.SharedIndexInformer
	// syncedAt is when each resource's cache was first seen listed.
	syncedAt map[schema.GroupResource]time.Time
}

// typedSource is a started typed informer and how to list one namespace of it.
type typedSource struct {
	informer cache.SharedIndexInformer
	list     func(ns string) ([]runtime.Object, error)
}

// typedResources are the resources counted from typed informers.
var typedResources = map[schema.GroupResource]bool{
	{Resource: "pods"}: true, {Resource: "services"}: true, {Resource: "persistentvolumeclaims"}: true,
}

func newSources(cfg Config, changed func(schema.GroupResource, any)) *sources {
	quotas := cfg.Informers.ResourceQuotas().Lister()
	return &sources{
		informers: cfg.Informers,
		quotas: func(ns string) ([]runtime.Object, error) {
			l, err := quotas.ResourceQuotas(ns).List(labels.Everything())
			return objects(l), err
		},
		meta:     cfg.Metadata,
		mapper:   restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cfg.Discovery)),
		changed:  changed,
		typed:    map[schema.GroupResource]typedSource{},
		watched:  map[schema.GroupResource]cache.SharedIndexInformer{},
		syncedAt: map[schema.GroupResource]time.Time{},
	}
}

// typedSource returns gr's typed informer, starting it on first use.
func (s *sources) typedSource(gr schema.GroupResource) (typedSource, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if src, ok := s.typed[gr]; ok {
		return src, nil
	}
	if s.ctx == nil {
		return typedSource{}, errNotSynced
	}
	var src typedSource
	switch gr.Resource {
	case "pods":
		pods := s.informers.Pods()
		// Keep only what usage reads; should another controller have started the
		// shared informer already, its full pods count the same.
		_ = pods.Informer().SetTransform(quotaView)
		src = typedSource{pods.Informer(), func(ns string) ([]runtime.Object, error) {
			l, err := pods.Lister().Pods(ns).List(labels.Everything())
			return objects(l), err
		}}
	case "services":
		services := s.informers.Services()
		src = typedSource{services.Informer(), func(ns string) ([]runtime.Object, error) {
			l, err := services.Lister().Services(ns).List(labels.Everything())
			return objects(l), err
		}}
	default:
		claims := s.informers.PersistentVolumeClaims()
		src = typedSource{claims.Informer(), func(ns string) ([]runtime.Object, error) {
			l, err := claims.Lister().PersistentVolumeClaims(ns).List(labels.Everything())
			return objects(l), err
		}}
	}
	if _, err := src.informer.AddEventHandler(s.handler(gr)); err != nil {
		return typedSource{}, err
	}
	s.typed[gr] = src
	s.informers.Start(s.ctx)
	return src, nil
}

func objects[T runtime.Object](items []T) []runtime.Object {
	out := make([]runtime.Object, len(items))
	for i, it := range items {
		out[i] = it
	}
	return out
}

// handler reports the changes that can lower usage, as upstream's replenishment
// does: deletions, and updates that change what the object costs (a pod that
// finished, a service that lost its node ports). Creations are not reported: the
// ResourceQuota admission plugin charged them already, and a recount then could
// miss objects charged but not yet stored.
func (s *sources) handler(gr schema.GroupResource) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(oldObj, newObj any) {
			if costChanged(gr, oldObj, newObj) {
				s.changed(gr, newObj)
			}
		},
		DeleteFunc: func(obj any) { s.changed(gr, obj) },
	}
}

// costChanged reports whether an update changed what the object costs or which
// scopes it falls in.
func costChanged(gr schema.GroupResource, oldObj, newObj any) bool {
	o, ok1 := oldObj.(runtime.Object)
	n, ok2 := newObj.(runtime.Object)
	if !ok1 || !ok2 {
		return false
	}
	if op, ok := o.(*corev1.Pod); ok {
		if np, ok := n.(*corev1.Pod); ok && !equality.Semantic.DeepEqual(op.Spec.ActiveDeadlineSeconds, np.Spec.ActiveDeadlineSeconds) {
			return true
		}
	}
	return !sameList(admission.QuotaObjectUsage(gr, o), admission.QuotaObjectUsage(gr, n))
}

// start lets metadata informers run, for as long as ctx lasts.
func (s *sources) start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx = ctx
}

// list returns the namespace's objects of gr. ok is false when gr is not a
// namespaced resource the API serves (or is never charged, like events), and
// errNotSynced when its watch is still listing.
func (s *sources) list(gr schema.GroupResource, ns string) ([]runtime.Object, bool, error) {
	if admission.QuotaIgnored(gr) {
		return nil, false, nil
	}
	if gr == resourceQuotas {
		items, err := s.quotas(ns)
		return items, err == nil, err
	}
	if typedResources[gr] {
		src, err := s.typedSource(gr)
		if err != nil {
			return nil, false, err
		}
		if !src.informer.HasSynced() {
			return nil, false, errNotSynced
		}
		s.synced(gr, time.Now())
		items, err := src.list(ns)
		return items, err == nil, err
	}
	inf, err := s.watch(gr)
	if err != nil || inf == nil {
		return nil, false, err
	}
	if !inf.HasSynced() {
		return nil, false, errNotSynced
	}
	s.synced(gr, time.Now())
	items, err := inf.GetIndexer().ByIndex(cache.NamespaceIndex, ns)
	if err != nil {
		return nil, false, err
	}
	out := make([]runtime.Object, 0, len(items))
	for _, it := range items {
		if obj, ok := it.(runtime.Object); ok {
			out = append(out, obj)
		}
	}
	return out, true, nil
}

// synced records the first time gr's cache was seen listed.
func (s *sources) synced(gr schema.GroupResource, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.syncedAt[gr]; !ok {
		s.syncedAt[gr] = now
	}
}

// warming returns how much longer the caches of grs may lag (see warmUp); 0 when
// every one listed long enough ago, or is not listed yet (then nothing counted it).
func (s *sources) warming(grs []schema.GroupResource, now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var longest time.Duration
	for _, gr := range grs {
		if at, ok := s.syncedAt[gr]; ok {
			longest = max(longest, at.Add(warmUp).Sub(now))
		}
	}
	return longest
}

// watch returns the metadata informer of gr, starting it on first use; nil when
// discovery does not know gr as a namespaced resource.
func (s *sources) watch(gr schema.GroupResource) (cache.SharedIndexInformer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inf, ok := s.watched[gr]; ok {
		return inf, nil
	}
	if s.ctx == nil {
		return nil, errNotSynced
	}
	gvr, ok := s.resolve(gr)
	if !ok {
		return nil, nil
	}
	inf := metadatainformer.NewFilteredMetadataInformer(s.meta, gvr, metav1.NamespaceAll, 0,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}, nil).Informer()
	// Only the objects' existence is counted.
	if err := inf.SetTransform(controlplane.StripManagedFields); err != nil {
		return nil, err
	}
	if _, err := inf.AddEventHandler(s.handler(gr)); err != nil {
		return nil, err
	}
	s.watched[gr] = inf
	go inf.Run(s.ctx.Done())
	return inf, nil
}

// resolve finds the served version of gr through discovery, refreshing it once
// when gr is unknown (a CRD established a moment ago).
func (s *sources) resolve(gr schema.GroupResource) (schema.GroupVersionResource, bool) {
	for attempt := range 2 {
		if attempt > 0 {
			s.mapper.Reset()
		}
		gvr, err := s.mapper.ResourceFor(gr.WithVersion(""))
		if err != nil {
			continue
		}
		gvk, err := s.mapper.KindFor(gvr)
		if err != nil {
			continue
		}
		mapping, err := s.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			continue
		}
		return gvr, mapping.Scope.Name() == apimeta.RESTScopeNameNamespace
	}
	return schema.GroupVersionResource{}, false
}

// unknown reports whether gr was looked for and not found: the sync tries again
// later, when the resource may be served.
func (s *sources) unknown(gr schema.GroupResource) bool {
	if admission.QuotaIgnored(gr) {
		return false
	}
	if gr == resourceQuotas || typedResources[gr] {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.watched[gr]
	return !ok
}

// quotaView is the pods informer's transform: the pod reduced to what quota usage,
// scopes and cost changes read (metadata without managed fields, containers'
// names, resources and restart policies, pod-level resources and overhead,
// priority class, active deadline, affinity, phase). A cache of 10,000 pods with
// service-account volumes, env and probes is a fraction of the full copies.
func quotaView(obj any) (any, error) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	view := &corev1.Pod{TypeMeta: pod.TypeMeta, ObjectMeta: pod.ObjectMeta}
	view.ManagedFields = nil
	view.Spec = corev1.PodSpec{
		Containers:            containersView(pod.Spec.Containers),
		InitContainers:        containersView(pod.Spec.InitContainers),
		Resources:             pod.Spec.Resources,
		Overhead:              pod.Spec.Overhead,
		PriorityClassName:     pod.Spec.PriorityClassName,
		ActiveDeadlineSeconds: pod.Spec.ActiveDeadlineSeconds,
		Affinity:              pod.Spec.Affinity,
	}
	view.Status.Phase = pod.Status.Phase
	return view, nil
}

func containersView(cs []corev1.Container) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	for i, c := range cs {
		out[i] = corev1.Container{Name: c.Name, Resources: c.Resources, RestartPolicy: c.RestartPolicy}
	}
	return out
}
