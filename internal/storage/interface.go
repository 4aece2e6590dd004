package storage

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// Interface is the storage of one resource's objects, keyed by full etcd keys
// ("/registry/pods/ns/name"). Objects passed in are never retained. Objects decoded
// into out parameters belong to the caller, but the items GetList appends and the
// objects of watch events may share memory with a watch cache: callers treat them as
// read-only. resourceVersion is the etcd revision of the object's last write.
type Interface interface {
	// Create stores obj at key if nothing is there yet and decodes what was stored into
	// out. It fails with a KeyExists error when key is taken.
	Create(ctx context.Context, key string, obj, out runtime.Object) error

	// Get decodes the object at key into out. A missing key is a NotFound error.
	Get(ctx context.Context, key string, opts GetOptions, out runtime.Object) error

	// GetList lists the objects under the key prefix (a directory key ending in "/" or a
	// single key when opts.Recursive is false) that match opts.Predicate into listObj,
	// honouring resourceVersion, resourceVersionMatch, limit and continue.
	GetList(ctx context.Context, key string, opts ListOptions, listObj runtime.Object) error

	// Watch streams changes under key after opts.ResourceVersion. Events whose objects
	// do not match opts.Predicate are filtered; an object that stops matching arrives
	// as Deleted. The caller must Stop the watch.
	Watch(ctx context.Context, key string, opts ListOptions) (watch.Interface, error)

	// GuaranteedUpdate reads the object at key, calls tryUpdate with it, and writes the
	// result if the object did not change meanwhile, retrying tryUpdate on a conflict.
	// destination receives the stored object. When the key is missing and
	// ignoreNotFound is true, tryUpdate is called with a zero object (create on update).
	GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
		preconditions *Preconditions, tryUpdate UpdateFunc) error

	// Delete removes the object at key if preconditions and validate pass on its
	// current state, decoding the deleted object into out.
	Delete(ctx context.Context, key string, out runtime.Object, preconditions *Preconditions,
		validate ValidateDeleteFunc) error

	// CurrentRevision returns etcd's current revision: the resourceVersion a
	// consistent read at this moment would observe.
	CurrentRevision(ctx context.Context) (uint64, error)
}

// UpdateFunc computes the new object from the current one. It may mutate and return
// input. Returning an error aborts the update with that error.
type UpdateFunc func(input runtime.Object) (output runtime.Object, err error)

// ValidateDeleteFunc checks the current object before it is deleted.
type ValidateDeleteFunc func(ctx context.Context, obj runtime.Object) error

// GetOptions are the options of Get.
type GetOptions struct {
	// ResourceVersion "" asks for the latest; "0" allows any cached version; otherwise
	// the object must be at least this new.
	ResourceVersion string
	// IgnoreNotFound returns a zero object instead of a NotFound error.
	IgnoreNotFound bool
}

// ListOptions are the options of GetList and Watch.
type ListOptions struct {
	ResourceVersion      string
	ResourceVersionMatch metav1.ResourceVersionMatch
	Predicate            SelectionPredicate
	// Recursive lists or watches every key under the prefix.
	Recursive bool
	// SendInitialEvents asks a watch to start with the current state as ADDED events
	// followed by a bookmark annotated with k8s.io/initial-events-end.
	SendInitialEvents *bool
	// AllowWatchBookmarks lets the watch send BOOKMARK events.
	AllowWatchBookmarks bool
}

// Preconditions must hold on the current object for an update or delete to proceed.
type Preconditions struct {
	UID             *types.UID
	ResourceVersion *string
}
