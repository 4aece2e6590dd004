package registry

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync/atomic"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/internal/parallel"
	"github.com/kapi-dev/kapi/internal/request"
	"github.com/kapi-dev/kapi/internal/storage"
)

// AdmitFunc is an admission step the caller runs inside a write: mutating steps run
// before the object is prepared and validated, validating steps after, both before
// storage. old is nil on create.
type AdmitFunc func(ctx context.Context, obj, old runtime.Object) error

// Store is the generic REST storage of one resource: the Kubernetes object rules
// around a storage.Interface. Objects are of the resource's storage type.
type Store struct {
	res     *Resource
	storage storage.Interface
	prefix  string
	newFunc func() runtime.Object
	newList func() runtime.Object
	now     func() time.Time
	// deleteWorkers is how many objects DeleteCollection deletes at once.
	deleteWorkers int
	// managedFields makes ManagedBy's steps; the API serving the store sets it.
	managedFields atomic.Pointer[func(manager, subresource string) AdmitFunc]
}

// NewStore returns the Store of res over st, with keys under prefix ("/registry").
func NewStore(res *Resource, st storage.Interface, prefix string, newFunc, newList func() runtime.Object) *Store {
	return &Store{res: res, storage: st, prefix: prefix, newFunc: newFunc, newList: newList, now: time.Now}
}

// SetDeleteCollectionWorkers sets how many objects DeleteCollection deletes at
// once (--delete-collection-workers); less than 1 means one after the other.
// Call it before serving.
func (s *Store) SetDeleteCollectionWorkers(n int) { s.deleteWorkers = n }

// ServerManager is the field manager of the server's own writes, as upstream's
// loopback clients name it.
const ServerManager = "kube-apiserver"

// SetManagedFields installs what makes ManagedBy's steps: the field manager of the
// API that serves the store.
func (s *Store) SetManagedFields(f func(manager, subresource string) AdmitFunc) {
	s.managedFields.Store(&f)
}

// ManagedBy returns a mutating step for Create and Update that records in
// metadata.managedFields that manager wrote the object through subresource (an
// Update operation, as the server's own clients make upstream), or nil before an
// API serves the store.
func (s *Store) ManagedBy(manager, subresource string) AdmitFunc {
	if f := s.managedFields.Load(); f != nil {
		return (*f)(manager, subresource)
	}
	return nil
}

// Resource returns the description the store serves.
func (s *Store) Resource() *Resource { return s.res }

// New returns an empty object of the storage type.
func (s *Store) New() runtime.Object { return s.newFunc() }

// NewList returns an empty list of the storage type.
func (s *Store) NewList() runtime.Object { return s.newList() }

// Storage returns the underlying storage.
func (s *Store) Storage() storage.Interface { return s.storage }

// Get returns one object.
func (s *Store) Get(ctx context.Context, ns, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	out := s.newFunc()
	err := s.storage.Get(ctx, s.objectKey(ns, name), storage.GetOptions{ResourceVersion: opts.ResourceVersion}, out)
	return out, s.toAPIError(err, name)
}

// List returns the objects of namespace ns (all namespaces when "") selected by opts.
func (s *Store) List(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error) {
	lo, err := s.listOptions(opts)
	if err != nil {
		return nil, err
	}
	list := s.newList()
	if err := s.storage.GetList(ctx, s.listKey(ns), lo, list); err != nil {
		return nil, s.listError(err, opts)
	}
	return list, nil
}

// ListShared lists like List but returns the items apart from the list, which
// holds the list's metadata and no items. Items may be the watch cache's own
// objects, with their apiVersion and kind set: callers must not modify them.
func (s *Store) ListShared(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, []runtime.Object, error) {
	lo, err := s.listOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	list := s.newList()
	items, err := storage.ListApart(ctx, s.storage, s.listKey(ns), lo, list)
	if err != nil {
		return nil, nil, s.listError(err, opts)
	}
	return list, items, nil
}

func (s *Store) listError(err error, opts *metav1.ListOptions) error {
	var serr *storage.Error
	if errors.As(err, &serr) && serr.Code == storage.CodeExpired && opts.Continue != "" {
		if serr.Continue == "" {
			return apierrors.NewResourceExpired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.")
		}
		st := apierrors.NewResourceExpired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
		st.ErrStatus.ListMeta.Continue = serr.Continue
		return st
	}
	return s.toAPIError(err, "")
}

// Watch streams changes in namespace ns selected by opts.
func (s *Store) Watch(ctx context.Context, ns string, opts *metav1.ListOptions) (watch.Interface, error) {
	lo, err := s.listOptions(opts)
	if err != nil {
		return nil, err
	}
	lo.SendInitialEvents = opts.SendInitialEvents
	lo.AllowWatchBookmarks = opts.AllowWatchBookmarks
	w, err := s.storage.Watch(ctx, s.listKey(ns), lo)
	return w, s.toAPIError(err, "")
}

func (s *Store) listOptions(opts *metav1.ListOptions) (storage.ListOptions, error) {
	pred, err := s.Predicate(opts.LabelSelector, opts.FieldSelector)
	if err != nil {
		return storage.ListOptions{}, err
	}
	pred.Limit, pred.Continue = opts.Limit, opts.Continue
	return storage.ListOptions{
		ResourceVersion:      opts.ResourceVersion,
		ResourceVersionMatch: opts.ResourceVersionMatch,
		Predicate:            pred,
		Recursive:            true,
	}, nil
}

// Create stores a new object in namespace ns.
func (s *Store) Create(ctx context.Context, ns string, obj runtime.Object, mutate, validate AdmitFunc, dryRun bool) (runtime.Object, error) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if err := s.checkNamespace(acc, ns); err != nil {
		return nil, err
	}
	if acc.GetResourceVersion() != "" {
		return nil, apierrors.NewBadRequest("resourceVersion should not be set on objects to be created")
	}
	if s.res.AuthorizeWrite != nil {
		if err := s.res.AuthorizeWrite(ctx, obj, nil); err != nil {
			return nil, err
		}
	}
	if mutate != nil {
		if err := mutate(ctx, obj, nil); err != nil {
			return nil, err
		}
	}
	s.prepareCreate(acc, obj)
	if errs := s.validateCreate(obj, acc); len(errs) > 0 {
		return nil, apierrors.NewInvalid(s.invalidKind(), acc.GetName(), errs)
	}
	s.warn(ctx, obj, nil)
	if validate != nil {
		if err := validate(ctx, obj, nil); err != nil {
			return nil, err
		}
	}
	finish := func(bool) {}
	if s.res.BeginCreate != nil {
		if finish, err = s.res.BeginCreate(ctx, obj, dryRun); err != nil {
			return nil, err
		}
	}
	if dryRun {
		finish(false)
		return obj, nil
	}
	out := s.newFunc()
	err = s.storage.Create(ctx, s.objectKey(acc.GetNamespace(), acc.GetName()), obj, out)
	finish(err == nil)
	return out, s.toAPIError(err, acc.GetName())
}

// checkNamespace fills in the namespace from the URL and rejects a body naming another.
func (s *Store) checkNamespace(acc metav1.Object, ns string) error {
	if !s.res.Namespaced {
		acc.SetNamespace("")
		return nil
	}
	if acc.GetNamespace() == "" {
		acc.SetNamespace(ns)
	} else if ns != "" && acc.GetNamespace() != ns {
		return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	return nil
}

func (s *Store) prepareCreate(acc metav1.Object, obj runtime.Object) {
	if acc.GetName() == "" && acc.GetGenerateName() != "" {
		acc.SetName(acc.GetGenerateName() + utilrand.String(5))
	}
	acc.SetUID(uuid.NewUUID())
	acc.SetCreationTimestamp(metav1.NewTime(s.now().Truncate(time.Second)))
	acc.SetDeletionTimestamp(nil)
	acc.SetDeletionGracePeriodSeconds(nil)
	acc.SetSelfLink("")
	acc.SetGeneration(0)
	if s.res.TrackGeneration {
		acc.SetGeneration(1)
	}
	if s.res.Status {
		resetStatus(obj)
	}
	if s.res.PrepareForCreate != nil {
		s.res.PrepareForCreate(obj)
	}
}

func (s *Store) validateCreate(obj runtime.Object, acc metav1.Object) field.ErrorList {
	var errs field.ErrorList
	if s.res.Validate != nil {
		errs = s.res.Validate(obj)
	} else {
		errs = ValidateObjectMeta(acc, s.res.Namespaced, s.nameValidator())
	}
	return errs
}

// UpdateFunc computes the object a PUT or PATCH asks for from the current one (a
// deep copy the function may mutate; nil when the object does not exist).
type UpdateFunc func(ctx context.Context, current runtime.Object) (runtime.Object, error)

// Update applies an update through the main resource (subresource "") or "status".
// It returns the stored object and whether it was created.
func (s *Store) Update(ctx context.Context, ns, name, subresource string, update UpdateFunc, mutate, validate AdmitFunc, forceAllowCreate, dryRun bool) (runtime.Object, bool, error) {
	key := s.objectKey(ns, name)
	var created, deleteAfter bool
	var result runtime.Object
	// finishCreate completes BeginCreate of a create through PUT, finishUpdate
	// BeginUpdate of an update.
	var finishCreate, finishUpdate func(ok bool)
	out := s.newFunc()
	err := s.storage.GuaranteedUpdate(ctx, key, out, true, nil, func(current runtime.Object) (runtime.Object, error) {
		curAcc, err := meta.Accessor(current)
		if err != nil {
			return nil, err
		}
		exists := curAcc.GetResourceVersion() != ""
		var old runtime.Object
		if exists {
			old = current.DeepCopyObject()
		} else {
			current = nil
		}
		obj, err := update(ctx, current)
		if err != nil {
			return nil, err
		}
		acc, err := meta.Accessor(obj)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		if err := s.checkNamespace(acc, ns); err != nil {
			return nil, err
		}
		if acc.GetName() != name {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", acc.GetName(), name))
		}
		if !exists {
			if subresource != "" || !(s.res.AllowCreateOnUpdate || forceAllowCreate) {
				return nil, apierrors.NewNotFound(s.groupResource(), name)
			}
			created = true
			acc.SetResourceVersion("")
			if s.res.AuthorizeWrite != nil {
				if err := s.res.AuthorizeWrite(ctx, obj, nil); err != nil {
					return nil, err
				}
			}
			if mutate != nil {
				if err := mutate(ctx, obj, nil); err != nil {
					return nil, err
				}
			}
			s.prepareCreate(acc, obj)
			if errs := s.validateCreate(obj, acc); len(errs) > 0 {
				return nil, apierrors.NewInvalid(s.invalidKind(), name, errs)
			}
			s.warn(ctx, obj, nil)
			if validate != nil {
				if err := validate(ctx, obj, nil); err != nil {
					return nil, err
				}
			}
			if s.res.BeginCreate != nil {
				if finishCreate != nil {
					finishCreate(false) // an earlier attempt's reservation
				}
				if finishCreate, err = s.res.BeginCreate(ctx, obj, dryRun); err != nil {
					finishCreate = nil
					return nil, err
				}
			}
			result = obj
			if dryRun {
				return nil, errDryRun
			}
			return obj, nil
		}
		oldAcc, _ := meta.Accessor(old)
		if err := s.checkResourceVersion(acc, oldAcc, name); err != nil {
			return nil, err
		}
		acc.SetResourceVersion(oldAcc.GetResourceVersion())
		if s.res.AuthorizeWrite != nil && subresource == "" {
			if err := s.res.AuthorizeWrite(ctx, obj, old); err != nil {
				return nil, err
			}
		}
		if mutate != nil {
			if err := mutate(ctx, obj, old); err != nil {
				return nil, err
			}
		}
		if subresource == "status" {
			obj = s.statusUpdate(old, obj)
			acc, _ = meta.Accessor(obj)
		} else if sub := s.res.Subresource(subresource); sub != nil && sub.Update != nil {
			obj = sub.Update(obj, old.DeepCopyObject())
			acc, _ = meta.Accessor(obj)
			acc.SetResourceVersion(oldAcc.GetResourceVersion())
		}
		s.prepareUpdate(acc, oldAcc, obj, old, subresource)
		if errs := s.validateUpdate(obj, old, acc, oldAcc, subresource); len(errs) > 0 {
			return nil, apierrors.NewInvalid(s.invalidKind(), name, errs)
		}
		if subresource == "" {
			s.warn(ctx, obj, old)
		}
		if validate != nil {
			if err := validate(ctx, obj, old); err != nil {
				return nil, err
			}
		}
		if s.res.BeginUpdate != nil && subresource == "" {
			if finishUpdate != nil {
				finishUpdate(false) // an earlier attempt's reservation
			}
			if finishUpdate, err = s.res.BeginUpdate(ctx, obj, old, dryRun); err != nil {
				finishUpdate = nil
				return nil, err
			}
		}
		deleteAfter = oldAcc.GetDeletionTimestamp() != nil && !s.mustLinger(obj.DeepCopyObject())
		result = obj
		if dryRun {
			// Abort the write; the computed object is the answer.
			return nil, errDryRun
		}
		return obj, nil
	})
	if finishCreate != nil {
		finishCreate(err == nil && created)
	}
	if finishUpdate != nil {
		finishUpdate(err == nil && !created)
	}
	if err == errDryRun {
		return result, created, nil
	}
	if err != nil {
		return nil, false, s.toAPIError(err, name)
	}
	if deleteAfter {
		// The last finalizer of a deleting object is gone: the object goes with it.
		rv := mustAccessor(out).GetResourceVersion()
		gone := s.newFunc()
		err := s.storage.Delete(ctx, key, gone, &storage.Preconditions{ResourceVersion: &rv}, nil)
		if err != nil && !storage.IsNotFound(err) {
			return nil, false, s.toAPIError(err, name)
		}
		if err == nil {
			s.afterDelete(ctx, gone)
		}
	}
	return out, created, nil
}

var errDryRun = fmt.Errorf("dry run")

func mustAccessor(obj runtime.Object) metav1.Object {
	acc, err := meta.Accessor(obj)
	if err != nil {
		panic(err) // storage objects always have ObjectMeta
	}
	return acc
}

// invalidKind is the kind a 422 names: upstream validates its internal type, which
// is the storage type's kind (events.k8s.io Events are core Events there).
func (s *Store) invalidKind() schema.GroupKind {
	if !s.res.StorageKind.Empty() {
		return s.res.StorageKind.GroupKind()
	}
	return s.res.GroupVersionKind().GroupKind()
}

func (s *Store) checkResourceVersion(acc, oldAcc metav1.Object, name string) error {
	rv := acc.GetResourceVersion()
	if rv == "" {
		if s.res.RequireResourceVersion {
			return apierrors.NewInvalid(s.invalidKind(), name, field.ErrorList{
				field.Invalid(field.NewPath("metadata", "resourceVersion"), rv, "must be specified for an update")})
		}
		return nil
	}
	if rv != oldAcc.GetResourceVersion() {
		return apierrors.NewConflict(s.groupResource(), name,
			fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	return nil
}

// prepareUpdate keeps what a client may not change and bumps generation on spec changes.
func (s *Store) prepareUpdate(acc, oldAcc metav1.Object, obj, old runtime.Object, subresource string) {
	acc.SetUID(oldAcc.GetUID())
	acc.SetCreationTimestamp(oldAcc.GetCreationTimestamp())
	acc.SetDeletionTimestamp(oldAcc.GetDeletionTimestamp())
	acc.SetDeletionGracePeriodSeconds(oldAcc.GetDeletionGracePeriodSeconds())
	acc.SetGeneration(oldAcc.GetGeneration())
	acc.SetSelfLink("")
	if subresource == "" && s.res.Status {
		copyStatus(old, obj)
	}
	if subresource == "" && s.res.PrepareForUpdate != nil {
		s.res.PrepareForUpdate(obj, old)
	}
	if s.res.TrackGeneration && !specEqual(obj, old) {
		acc.SetGeneration(oldAcc.GetGeneration() + 1)
	}
}

func (s *Store) validateUpdate(obj, old runtime.Object, acc, oldAcc metav1.Object, subresource string) field.ErrorList {
	if oldAcc.GetDeletionTimestamp() != nil {
		errs := apivalidation.ValidateNoNewFinalizers(acc.GetFinalizers(), oldAcc.GetFinalizers(), field.NewPath("metadata", "finalizers"))
		if len(errs) > 0 {
			return errs
		}
	}
	if sub := s.res.Subresource(subresource); sub != nil && sub.ValidateUpdate != nil {
		return sub.ValidateUpdate(obj, old)
	}
	switch {
	case subresource == "status" && s.res.ValidateStatusUpdate != nil:
		return s.res.ValidateStatusUpdate(obj, old)
	case (subresource == "" || subresource == "scale") && s.res.ValidateUpdate != nil:
		// A scale change is a change of the parent, validated as one (upstream).
		return s.res.ValidateUpdate(obj, old)
	}
	return ValidateObjectMetaUpdate(acc, oldAcc, s.res.Namespaced, s.nameValidator())
}

// Delete removes an object, or marks it deleted when finalizers or PrepareForDelete
// keep it. It returns the object (deleted or lingering) and whether it is gone.
func (s *Store) Delete(ctx context.Context, ns, name string, opts *metav1.DeleteOptions, validate AdmitFunc, dryRun bool) (runtime.Object, bool, error) {
	if s.res.RefuseDelete != nil {
		if err := s.res.RefuseDelete(name); err != nil {
			return nil, false, err
		}
	}
	return s.deleteObject(ctx, ns, name, opts, validate, dryRun)
}

// checkDeletePreconditions refuses a delete whose preconditions the object read
// does not meet, before admission, with upstream's messages (etcd checks them again
// at the delete itself).
func (s *Store) checkDeletePreconditions(acc metav1.Object, opts *metav1.DeleteOptions) error {
	if opts == nil || opts.Preconditions == nil {
		return nil
	}
	gr := schema.GroupResource{Group: s.res.GroupVersion.Group, Resource: s.res.Kind}
	if p := opts.Preconditions.UID; p != nil && *p != acc.GetUID() {
		return apierrors.NewConflict(gr, acc.GetName(), fmt.Errorf(
			"the UID in the precondition (%s) does not match the UID in record (%s). The object might have been deleted and then recreated", *p, acc.GetUID()))
	}
	if p := opts.Preconditions.ResourceVersion; p != nil && *p != acc.GetResourceVersion() {
		return apierrors.NewConflict(gr, acc.GetName(), fmt.Errorf(
			"the ResourceVersion in the precondition (%s) does not match the ResourceVersion in record (%s). The object might have been modified", *p, acc.GetResourceVersion()))
	}
	return nil
}

// deleteObject is Delete without RefuseDelete, for deletecollection.
func (s *Store) deleteObject(ctx context.Context, ns, name string, opts *metav1.DeleteOptions, validate AdmitFunc, dryRun bool) (runtime.Object, bool, error) {
	key := s.objectKey(ns, name)
	var precond *storage.Preconditions
	if opts != nil && opts.Preconditions != nil {
		precond = &storage.Preconditions{UID: opts.Preconditions.UID, ResourceVersion: opts.Preconditions.ResourceVersion}
	}
	current := s.newFunc()
	if err := s.storage.Get(ctx, key, storage.GetOptions{}, current); err != nil {
		return nil, false, s.toAPIError(err, name)
	}
	if err := s.checkDeletePreconditions(mustAccessor(current), opts); err != nil {
		return nil, false, err
	}
	if validate != nil {
		if err := validate(ctx, nil, current); err != nil {
			return nil, false, err
		}
	}
	var grace int64
	if s.res.GracePeriod != nil {
		var requested *int64
		if opts != nil {
			requested = opts.GracePeriodSeconds
		}
		grace = s.res.GracePeriod(current, requested)
	}
	policy, err := propagationPolicy(opts)
	if err != nil {
		return nil, false, err
	}
	if policy == "" && s.res.OrphanByDefault {
		policy = s.defaultPolicy(ctx, current)
	}
	withGC := current.DeepCopyObject()
	gcChanged := setGCFinalizers(mustAccessor(withGC), policy)
	if grace > 0 || gcChanged || s.mustLinger(withGC) {
		out := s.newFunc()
		var result runtime.Object
		err := s.storage.GuaranteedUpdate(ctx, key, out, false, precond, func(cur runtime.Object) (runtime.Object, error) {
			acc := mustAccessor(cur)
			setGCFinalizers(acc, policy)
			s.markDeleted(acc, grace)
			if s.res.PrepareForDelete != nil {
				s.res.PrepareForDelete(cur)
			}
			result = cur
			if dryRun {
				return nil, errDryRun
			}
			return cur, nil
		})
		if err == errDryRun {
			return result, false, nil
		}
		return out, false, s.toAPIError(err, name)
	}
	if dryRun {
		// Nothing is deleted, but the answer is the one the real delete would get.
		if err := precond.Check(key, current); err != nil {
			return nil, false, s.toAPIError(err, name)
		}
		return current, true, nil
	}
	out := s.newFunc()
	if err := s.storage.Delete(ctx, key, out, precond, nil); err != nil {
		return nil, false, s.toAPIError(err, name)
	}
	s.afterDelete(ctx, out)
	return out, true, nil
}

// markDeleted sets deletionTimestamp to now+grace, or moves it earlier when a new
// delete asks for a shorter grace period; a later deadline never replaces an earlier.
func (s *Store) markDeleted(acc metav1.Object, grace int64) {
	deadline := metav1.NewTime(s.now().Add(time.Duration(grace) * time.Second).Truncate(time.Second))
	if cur := acc.GetDeletionTimestamp(); cur != nil && !deadline.Before(cur) {
		return
	}
	acc.SetDeletionTimestamp(&deadline)
	acc.SetDeletionGracePeriodSeconds(&grace)
	// Being deleted is a change of desired state: upstream bumps the generation.
	if g := acc.GetGeneration(); g > 0 {
		acc.SetGeneration(g + 1)
	}
}

// Finalizers of the garbage collector that deletion propagation adds.
const (
	finalizerOrphan     = metav1.FinalizerOrphanDependents
	finalizerForeground = metav1.FinalizerDeleteDependents
)

// propagationPolicy reads the deletion propagation asked for; "" means the
// resource's default (background: no finalizer).
func propagationPolicy(opts *metav1.DeleteOptions) (metav1.DeletionPropagation, error) {
	if opts == nil {
		return "", nil
	}
	if opts.OrphanDependents != nil && opts.PropagationPolicy != nil {
		return "", apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "DeleteOptions"}, "", field.ErrorList{
			field.Invalid(field.NewPath("propagationPolicy"), *opts.PropagationPolicy, "orphanDependents and deletionPropagation cannot be both set")})
	}
	if opts.OrphanDependents != nil {
		if *opts.OrphanDependents {
			return metav1.DeletePropagationOrphan, nil
		}
		return metav1.DeletePropagationBackground, nil
	}
	if opts.PropagationPolicy == nil {
		return "", nil
	}
	switch p := *opts.PropagationPolicy; p {
	case metav1.DeletePropagationOrphan, metav1.DeletePropagationForeground, metav1.DeletePropagationBackground:
		return p, nil
	default:
		return "", apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "DeleteOptions"}, "", field.ErrorList{
			field.NotSupported(field.NewPath("propagationPolicy"), p, []string{string(metav1.DeletePropagationForeground),
				string(metav1.DeletePropagationBackground), string(metav1.DeletePropagationOrphan), "nil"})})
	}
}

// setGCFinalizers adds the garbage collector's finalizer for policy (and drops the
// other one), as upstream does; it reports whether the finalizers changed.
func setGCFinalizers(acc metav1.Object, policy metav1.DeletionPropagation) bool {
	var want, drop string
	switch policy {
	case metav1.DeletePropagationOrphan:
		want, drop = finalizerOrphan, finalizerForeground
	case metav1.DeletePropagationForeground:
		want, drop = finalizerForeground, finalizerOrphan
	case metav1.DeletePropagationBackground:
		drop = finalizerOrphan
	default:
		return false
	}
	var out []string
	has := false
	for _, f := range acc.GetFinalizers() {
		if f == drop {
			continue
		}
		has = has || f == want
		out = append(out, f)
	}
	if want != "" && !has {
		out = append(out, want)
	}
	changed := !slices.Equal(out, acc.GetFinalizers())
	if changed {
		acc.SetFinalizers(out)
	}
	return changed
}

func (s *Store) afterDelete(ctx context.Context, obj runtime.Object) {
	if s.res.AfterDelete != nil {
		s.res.AfterDelete(ctx, obj)
	}
}

// mustLinger reports whether deleting obj only marks it (finalizers present or the
// resource's PrepareForDelete keeps it).
func (s *Store) mustLinger(obj runtime.Object) bool {
	if len(mustAccessor(obj).GetFinalizers()) > 0 {
		return true
	}
	return s.res.PrepareForDelete != nil && s.res.PrepareForDelete(obj)
}

// DeleteCollection deletes every object of namespace ns that opts selects and returns
// the list of deleted (or lingering) objects.
func (s *Store) DeleteCollection(ctx context.Context, ns string, opts *metav1.DeleteOptions, listOpts *metav1.ListOptions, validate AdmitFunc, dryRun bool) (runtime.Object, error) {
	lo := *listOpts
	lo.Limit, lo.Continue, lo.ResourceVersion = 0, "", ""
	list, err := s.List(ctx, ns, &lo)
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	deleted := make([]runtime.Object, len(items))
	jobs := make([]func() error, len(items))
	for i, item := range items {
		acc := mustAccessor(item)
		jobs[i] = func() error {
			obj, _, err := s.deleteObject(ctx, acc.GetNamespace(), acc.GetName(), opts, validate, dryRun)
			if apierrors.IsNotFound(err) {
				return nil
			}
			deleted[i] = obj
			return err
		}
	}
	if err := parallel.UntilError(s.deleteWorkers, jobs...); err != nil {
		return nil, err
	}
	var kept []runtime.Object
	for _, obj := range deleted {
		if obj != nil {
			kept = append(kept, obj)
		}
	}
	out := s.newList()
	if err := meta.SetList(out, kept); err != nil {
		return nil, err
	}
	return out, nil
}

// warn sends the resource's Warnings for a create (old nil) or update to the client.
func (s *Store) warn(ctx context.Context, obj, old runtime.Object) {
	if s.res.Warnings == nil {
		return
	}
	for _, msg := range s.res.Warnings(obj, old) {
		request.AddWarning(ctx, msg)
	}
}

// defaultPolicy is the propagation of a delete that names none on a resource that
// orphans by default: a garbage collector finalizer already on the object decides,
// else orphan, as upstream's OrphanDependents default policy.
func (s *Store) defaultPolicy(ctx context.Context, current runtime.Object) metav1.DeletionPropagation {
	if s.res.OrphanWarning != "" {
		request.AddWarning(ctx, s.res.OrphanWarning)
	}
	fins := mustAccessor(current).GetFinalizers()
	if slices.Contains(fins, finalizerOrphan) || slices.Contains(fins, finalizerForeground) {
		return ""
	}
	return metav1.DeletePropagationOrphan
}

// UID returns the uid of obj.
func UID(obj runtime.Object) types.UID { return mustAccessor(obj).GetUID() }

// specEqual compares everything but TypeMeta, ObjectMeta and Status.
func specEqual(a, b runtime.Object) bool {
	if ua, ok := a.(*unstructured.Unstructured); ok {
		ub, ok := b.(*unstructured.Unstructured)
		return ok && unstructuredSpecEqual(ua.Object, ub.Object)
	}
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	t := va.Type()
	for i := 0; i < t.NumField(); i++ {
		switch t.Field(i).Name {
		case "TypeMeta", "ObjectMeta", "Status":
			continue
		}
		if !apiequality.Semantic.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return false
		}
	}
	return true
}

// unstructuredSpecEqual compares two custom resources outside apiVersion, kind,
// metadata and status, the fields whose change bumps generation.
func unstructuredSpecEqual(a, b map[string]any) bool {
	skip := func(k string) bool { return k == "apiVersion" || k == "kind" || k == "metadata" || k == "status" }
	for k, va := range a {
		if skip(k) {
			continue
		}
		vb, ok := b[k]
		if !ok || !apiequality.Semantic.DeepEqual(va, vb) {
			return false
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && !skip(k) {
			return false
		}
	}
	return true
}

// resetStatus zeroes obj.Status.
func resetStatus(obj runtime.Object) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		delete(u.Object, "status")
		return
	}
	if f := reflect.ValueOf(obj).Elem().FieldByName("Status"); f.IsValid() && f.CanSet() {
		f.Set(reflect.Zero(f.Type()))
	}
}

// copyStatus sets dst.Status to src.Status.
func copyStatus(src, dst runtime.Object) {
	if us, ok := src.(*unstructured.Unstructured); ok {
		if ud, ok := dst.(*unstructured.Unstructured); ok {
			if status, ok := us.Object["status"]; ok {
				ud.Object["status"] = runtime.DeepCopyJSONValue(status)
			} else {
				delete(ud.Object, "status")
			}
		}
		return
	}
	sf := reflect.ValueOf(src).Elem().FieldByName("Status")
	df := reflect.ValueOf(dst).Elem().FieldByName("Status")
	if sf.IsValid() && df.IsValid() && df.CanSet() {
		df.Set(sf)
	}
}

// statusUpdate is what an update through /status writes: the stored object with the
// request's status, and, for resources whose status strategy upstream lets change
// metadata, the request's metadata (less what KeepOnStatusUpdate keeps).
func (s *Store) statusUpdate(old, obj runtime.Object) runtime.Object {
	out := withStatusOf(old, obj)
	if !s.res.StatusTakesMetadata {
		return out
	}
	acc, src := mustAccessor(out), mustAccessor(obj)
	acc.SetLabels(src.GetLabels())
	acc.SetAnnotations(src.GetAnnotations())
	acc.SetFinalizers(src.GetFinalizers())
	acc.SetOwnerReferences(src.GetOwnerReferences())
	if s.res.KeepOnStatusUpdate != nil {
		s.res.KeepOnStatusUpdate(acc, mustAccessor(old))
	}
	return out
}

// withStatusOf returns a copy of old carrying obj's status, resourceVersion and
// managed fields: a status update changes nothing else.
func withStatusOf(old, obj runtime.Object) runtime.Object {
	out := old.DeepCopyObject()
	copyStatus(obj, out)
	acc, src := mustAccessor(out), mustAccessor(obj)
	acc.SetResourceVersion(src.GetResourceVersion())
	acc.SetManagedFields(src.GetManagedFields())
	return out
}
