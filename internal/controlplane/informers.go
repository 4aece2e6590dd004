package controlplane

import (
	"context"
	"reflect"
	"sync"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	coreinformers "k8s.io/client-go/informers/core/v1"
	rbacinformers "k8s.io/client-go/informers/rbac/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacv1client "k8s.io/client-go/kubernetes/typed/rbac/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	rbaclisters "k8s.io/client-go/listers/rbac/v1"
	"k8s.io/client-go/tools/cache"
)

// Informers hands out one shared informer per resource the controllers read in
// full, as client-go's SharedInformerFactory does for these few types. The factory
// is not used because its ForResource switch links the clients, informers and
// listers of every API group into the binary: some 20 MB of code that is mapped,
// and so resident, in every kapi process.
type Informers struct {
	core corev1client.CoreV1Interface
	rbac rbacv1client.RbacV1Interface

	mu sync.Mutex // guards informers, started and stopped
	// informers holds one informer per object type (and selector), created on
	// first request.
	informers map[informerKey]cache.SharedIndexInformer
	started   map[informerKey]bool
	stopped   bool
	wg        sync.WaitGroup // the running informers
}

// NewInformers reads through core and rbac; call Start once the controllers have
// asked for their informers.
func NewInformers(core corev1client.CoreV1Interface, rbac rbacv1client.RbacV1Interface) *Informers {
	return &Informers{core: core, rbac: rbac,
		informers: map[informerKey]cache.SharedIndexInformer{}, started: map[informerKey]bool{}}
}

// informer pairs a shared informer with its typed lister, the shape of client-go's
// per-type informer interfaces (coreinformers.NamespaceInformer, ...).
type informer[L any] struct {
	shared cache.SharedIndexInformer
	lister L
}

func (i informer[L]) Informer() cache.SharedIndexInformer { return i.shared }
func (i informer[L]) Lister() L                           { return i.lister }

// Namespaces is the shared informer of Namespaces.
func (f *Informers) Namespaces() coreinformers.NamespaceInformer {
	c := f.core.Namespaces()
	inf := informerFor(f, &corev1.Namespace{}, "", c.List, c.Watch)
	return informer[corelisters.NamespaceLister]{inf, corelisters.NewNamespaceLister(inf.GetIndexer())}
}

// ServiceAccounts is the shared informer of ServiceAccounts in every namespace.
func (f *Informers) ServiceAccounts() coreinformers.ServiceAccountInformer {
	c := f.core.ServiceAccounts(metav1.NamespaceAll)
	inf := informerFor(f, &corev1.ServiceAccount{}, "", c.List, c.Watch)
	return informer[corelisters.ServiceAccountLister]{inf, corelisters.NewServiceAccountLister(inf.GetIndexer())}
}

// ConfigMapsNamed is the shared informer of the ConfigMaps called name in every
// namespace: a field selector, so the server sends no other ConfigMap's events
// and the cache holds none of them (kube-root-ca.crt is all the controllers read).
func (f *Informers) ConfigMapsNamed(name string) coreinformers.ConfigMapInformer {
	c := f.core.ConfigMaps(metav1.NamespaceAll)
	selector := fields.OneTermEqualSelector("metadata.name", name).String()
	list := func(ctx context.Context, opts metav1.ListOptions) (*corev1.ConfigMapList, error) {
		opts.FieldSelector = selector
		return c.List(ctx, opts)
	}
	watchFn := func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
		opts.FieldSelector = selector
		return c.Watch(ctx, opts)
	}
	inf := informerFor(f, &corev1.ConfigMap{}, selector, list, watchFn)
	return informer[corelisters.ConfigMapLister]{inf, corelisters.NewConfigMapLister(inf.GetIndexer())}
}

// Pods is the shared informer of Pods in every namespace.
func (f *Informers) Pods() coreinformers.PodInformer {
	c := f.core.Pods(metav1.NamespaceAll)
	inf := informerFor(f, &corev1.Pod{}, "", c.List, c.Watch)
	return informer[corelisters.PodLister]{inf, corelisters.NewPodLister(inf.GetIndexer())}
}

// Services is the shared informer of Services in every namespace.
func (f *Informers) Services() coreinformers.ServiceInformer {
	c := f.core.Services(metav1.NamespaceAll)
	inf := informerFor(f, &corev1.Service{}, "", c.List, c.Watch)
	return informer[corelisters.ServiceLister]{inf, corelisters.NewServiceLister(inf.GetIndexer())}
}

// PersistentVolumeClaims is the shared informer of PersistentVolumeClaims in every
// namespace.
func (f *Informers) PersistentVolumeClaims() coreinformers.PersistentVolumeClaimInformer {
	c := f.core.PersistentVolumeClaims(metav1.NamespaceAll)
	inf := informerFor(f, &corev1.PersistentVolumeClaim{}, "", c.List, c.Watch)
	return informer[corelisters.PersistentVolumeClaimLister]{inf, corelisters.NewPersistentVolumeClaimLister(inf.GetIndexer())}
}

// ResourceQuotas is the shared informer of ResourceQuotas in every namespace.
func (f *Informers) ResourceQuotas() coreinformers.ResourceQuotaInformer {
	c := f.core.ResourceQuotas(metav1.NamespaceAll)
	inf := informerFor(f, &corev1.ResourceQuota{}, "", c.List, c.Watch)
	return informer[corelisters.ResourceQuotaLister]{inf, corelisters.NewResourceQuotaLister(inf.GetIndexer())}
}

// ClusterRoles is the shared informer of ClusterRoles.
func (f *Informers) ClusterRoles() rbacinformers.ClusterRoleInformer {
	c := f.rbac.ClusterRoles()
	inf := informerFor(f, &rbacv1.ClusterRole{}, "", c.List, c.Watch)
	return informer[rbaclisters.ClusterRoleLister]{inf, rbaclisters.NewClusterRoleLister(inf.GetIndexer())}
}

// informerKey tells informers apart: the object type and the field selector.
type informerKey struct {
	t        reflect.Type
	selector string
}

// informerFor returns f's informer of obj's type and selector (which list and
// watch apply), creating it with the namespace index the factory's informers carry.
func informerFor[L runtime.Object](f *Informers, obj runtime.Object, selector string,
	list func(context.Context, metav1.ListOptions) (L, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error)) cache.SharedIndexInformer {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := informerKey{reflect.TypeOf(obj), selector}
	if inf, ok := f.informers[key]; ok {
		return inf
	}
	lw := &cache.ListWatch{
		ListWithContextFunc:  func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) { return list(ctx, opts) },
		WatchFuncWithContext: watchFn,
	}
	inf := cache.NewSharedIndexInformer(lw, obj, 0, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	// No controller reads managed fields (as kube-controller-manager, which trims
	// them too); a controller that keeps less may set its own transform first.
	_ = inf.SetTransform(StripManagedFields)
	f.informers[key] = inf
	return inf
}

// StripManagedFields is an informer transform that drops metadata.managedFields,
// often the largest part of an object's metadata, from what the cache keeps.
// An update written from such a copy keeps the stored managed fields, as for
// kube-controller-manager's trimmed caches.
func StripManagedFields(obj any) (any, error) {
	if a, err := apimeta.Accessor(obj); err == nil {
		a.SetManagedFields(nil)
	}
	return obj, nil
}

// Start runs every informer asked for and not yet running, until ctx ends.
func (f *Informers) Start(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	for t, inf := range f.informers {
		if !f.started[t] {
			f.started[t] = true
			f.wg.Go(func() { inf.RunWithContext(ctx) })
		}
	}
}

// Shutdown waits for the informers to return; their context must be over. No
// informer starts afterwards.
func (f *Informers) Shutdown() {
	f.mu.Lock()
	f.stopped = true
	f.mu.Unlock()
	f.wg.Wait()
}
