package node

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// Getter reads one object of a resource (registry.Store satisfies it). The authorizer
// reads at resourceVersion "0", from the watch cache, and never mutates what it gets.
type Getter interface {
	Get(ctx context.Context, ns, name string, opts *metav1.GetOptions) (runtime.Object, error)
}

// GetLister also lists the objects of a namespace ("" for all) that opts select; the
// items of the list may be shared with the watch cache and are read-only.
type GetLister interface {
	Getter
	List(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error)
}

// Watcher streams the objects of a namespace ("" for all): the current ones, then
// changes. Event objects are read-only.
type Watcher interface {
	Watch(ctx context.Context, ns string, opts *metav1.ListOptions) (watch.Interface, error)
}

// PodStore is the pods store: Get and List answer before the pod index is synced,
// Watch feeds it.
type PodStore interface {
	GetLister
	Watcher
}

// Sources are the stores relationships are found in, of the storage types the
// server keeps: core/v1 Pods (selectable on spec.nodeName), PersistentVolumeClaims
// and PersistentVolumes, storage/v1 VolumeAttachments, resource/v1 ResourceSlices and
// certificates/v1 PodCertificateRequests.
type Sources struct {
	Pods                   PodStore
	PersistentVolumeClaims Getter
	PersistentVolumes      Getter
	VolumeAttachments      Getter
	ResourceSlices         Getter
	PodCertificateRequests Getter
}
