package webhook

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Reader reads one resource; *registry.Store is one. Reads go to the watch cache
// (resourceVersion "0"): admission must not add a storage round trip per request.
type Reader interface {
	Get(ctx context.Context, ns, name string, opts *metav1.GetOptions) (runtime.Object, error)
	List(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error)
}

// NamespacesFrom reads namespaces from the namespaces store: from the watch cache,
// then (for a namespace the cache has not seen yet) from storage, as upstream's
// namespace matcher falls back to a live read.
func NamespacesFrom(r Reader) NamespaceGetter {
	return func(ctx context.Context, name string) (*corev1.Namespace, error) {
		obj, err := r.Get(ctx, "", name, &metav1.GetOptions{ResourceVersion: "0"})
		if apierrors.IsNotFound(err) {
			obj, err = r.Get(ctx, "", name, &metav1.GetOptions{})
		}
		if err != nil {
			return nil, err
		}
		ns, ok := obj.(*corev1.Namespace)
		if !ok {
			return nil, fmt.Errorf("unexpected namespace object %T", obj)
		}
		return ns, nil
	}
}

// ServicesFrom reads services from the services store (watch cache first).
func ServicesFrom(r Reader) ServiceGetter {
	return func(ctx context.Context, ns, name string) (*corev1.Service, error) {
		obj, err := r.Get(ctx, ns, name, &metav1.GetOptions{ResourceVersion: "0"})
		if apierrors.IsNotFound(err) {
			obj, err = r.Get(ctx, ns, name, &metav1.GetOptions{})
		}
		if err != nil {
			return nil, err
		}
		svc, ok := obj.(*corev1.Service)
		if !ok {
			return nil, fmt.Errorf("unexpected service object %T", obj)
		}
		return svc, nil
	}
}

// EndpointSlicesFrom lists a service's EndpointSlices by their service-name label.
func EndpointSlicesFrom(r Reader) EndpointSliceLister {
	return func(ctx context.Context, ns, service string) ([]discoveryv1.EndpointSlice, error) {
		obj, err := r.List(ctx, ns, &metav1.ListOptions{ResourceVersion: "0", LabelSelector: discoveryv1.LabelServiceName + "=" + service})
		if err != nil {
			return nil, err
		}
		list, ok := obj.(*discoveryv1.EndpointSliceList)
		if !ok {
			return nil, fmt.Errorf("unexpected endpointslice list %T", obj)
		}
		return list.Items, nil
	}
}
