package endpoints

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"unicode"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/kapi-dev/kapi/internal/registry"
)

// TypeConverterFunc builds the structured-merge-diff type converter from the served
// OpenAPI schemas; it is called once, on the first write.
type TypeConverterFunc func() (managedfields.TypeConverter, error)

// fieldManagers keeps one FieldManager per served kind and subresource, built on
// first use, since building needs the type converter.
type fieldManagers struct {
	build TypeConverterFunc
	// custom builds managers for custom resources, whose schemas may preserve
	// unknown fields.
	custom bool
	// mu guards converter, convErr and managers.
	mu        sync.Mutex
	converter managedfields.TypeConverter
	convErr   error
	managers  map[fieldManagerKey]*managedfields.FieldManager
}

type fieldManagerKey struct {
	kind        schema.GroupVersionKind
	subresource string
}

// forResource returns the field manager for writes to res (in its served version)
// through subresource ("" or "status"). It takes and returns objects of the storage
// kind and records each manager's fields in the served version, as upstream records
// them in the version of the request; an apply must be of the served version. The
// main resource does not own status and the status subresource owns nothing else,
// as upstream resets those fields.
func (f *fieldManagers) forResource(types ObjectTypes, res *registry.Resource, subresource string) (*managedfields.FieldManager, error) {
	if res.GroupVersion.Group != res.StorageKind.Group {
		types = crossGroupTypes{types, [2]schema.GroupVersionKind{res.GroupVersionKind(), res.StorageKind}}
	}
	return f.forKind(types, res.GroupVersionKind(), res.StorageKind.GroupVersion(), subresource, func() map[fieldpath.APIVersion]fieldpath.Filter {
		return resetFields(res, subresource)
	})
}

// crossGroupTypes converts between a resource served in one group and stored as
// another group's kind (events.k8s.io/v1 Events are core/v1 Events), which the
// scheme's ConvertToVersion refuses: it converts only within a type's own group.
type crossGroupTypes struct {
	ObjectTypes
	kinds [2]schema.GroupVersionKind
}

func (c crossGroupTypes) ConvertToVersion(in runtime.Object, to runtime.GroupVersioner) (runtime.Object, error) {
	for _, kind := range c.kinds {
		if _, ok := to.KindForGroupVersionKinds([]schema.GroupVersionKind{kind}); !ok {
			continue
		}
		out, err := c.New(kind)
		if err != nil {
			return nil, err
		}
		if reflect.TypeOf(out) == reflect.TypeOf(in) {
			break
		}
		if err := c.Convert(in, out, nil); err != nil {
			return nil, err
		}
		out.GetObjectKind().SetGroupVersionKind(kind)
		return out, nil
	}
	return c.ObjectTypes.ConvertToVersion(in, to)
}

// resetFields are the fields a write to res through subresource cannot change, in
// both the served and the storage version.
func resetFields(res *registry.Resource, subresource string) map[fieldpath.APIVersion]fieldpath.Filter {
	untouched := map[string]string{"": "status", "status": "spec"}[subresource]
	if !res.Status || untouched == "" {
		return nil
	}
	filter := fieldpath.NewExcludeSetFilter(fieldpath.NewSet(fieldpath.MakePathOrDie(untouched)))
	return map[fieldpath.APIVersion]fieldpath.Filter{
		fieldpath.APIVersion(res.StorageKind.GroupVersion().String()): filter,
		fieldpath.APIVersion(res.GroupVersion.String()):               filter,
	}
}

// forKind returns the field manager of kind for writes through subresource, taking
// and returning objects of version hub. reset (nil: none) is asked only when the
// manager is built, not on every write.
func (f *fieldManagers) forKind(types ObjectTypes, kind schema.GroupVersionKind, hub schema.GroupVersion, subresource string, reset func() map[fieldpath.APIVersion]fieldpath.Filter) (*managedfields.FieldManager, error) {
	if f == nil || f.build == nil {
		return nil, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	key := fieldManagerKey{kind, subresource}
	if fm, ok := f.managers[key]; ok {
		return fm, nil
	}
	if f.converter == nil && f.convErr == nil {
		var tc managedfields.TypeConverter
		if tc, f.convErr = f.build(); f.convErr == nil {
			f.converter = newStructsUnvalidated(tc)
		}
	}
	if f.convErr != nil {
		return nil, f.convErr
	}
	newManager := managedfields.NewDefaultFieldManager
	if f.custom {
		newManager = managedfields.NewDefaultCRDFieldManager
	}
	var filters map[fieldpath.APIVersion]fieldpath.Filter
	if reset != nil {
		filters = reset()
	}
	fm, err := newManager(f.converter, types, types, types, kind, hub, subresource, filters)
	if err != nil {
		return nil, err
	}
	if f.managers == nil {
		f.managers = map[fieldManagerKey]*managedfields.FieldManager{}
	}
	f.managers[key] = fm
	return fm, nil
}

// managerName is the request's field manager: the fieldManager parameter, or the
// user agent up to its first "/", as upstream.
func managerName(r *http.Request) (string, error) {
	name := r.URL.Query().Get("fieldManager")
	if name == "" {
		ua := r.UserAgent()
		if i := strings.Index(ua, "/"); i >= 0 {
			ua = ua[:i]
		}
		return ua, nil
	}
	var errs field.ErrorList
	if len(name) > 128 {
		errs = append(errs, field.TooLong(field.NewPath("fieldManager"), "", 128))
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			errs = append(errs, field.Invalid(field.NewPath("fieldManager"), name, "must only contain printable characters"))
			break
		}
	}
	if len(errs) > 0 {
		return "", apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: writeOptionsKind(r)}, "", errs)
	}
	return name, nil
}

// trackManagedFields returns an admission-style step that records manager's
// ownership of obj's fields (an Update operation) in metadata.managedFields.
func (e *endpoint) trackManagedFields(manager, subresource string) (registry.AdmitFunc, error) {
	fm, err := e.fieldManagers.forResource(e.types, e.res, subresource)
	if err != nil || fm == nil {
		return nil, err
	}
	return func(_ context.Context, obj, old runtime.Object) error {
		live := old
		if live == nil {
			var err error
			if live, err = e.types.New(e.res.StorageKind); err != nil {
				return err
			}
		}
		updated := fm.UpdateNoErrors(live, obj, manager)
		src, err := meta.Accessor(updated)
		if err != nil {
			return err
		}
		dst, err := meta.Accessor(obj)
		if err != nil {
			return err
		}
		dst.SetManagedFields(src.GetManagedFields())
		return nil
	}, nil
}

// managedFieldsStep is trackManagedFields for the server's own writes through the
// store (registry.Store.ManagedBy): without a field manager they record none.
func (e *endpoint) managedFieldsStep(manager, subresource string) registry.AdmitFunc {
	step, err := e.trackManagedFields(manager, subresource)
	if err != nil {
		return nil
	}
	return step
}

// chain runs steps in order, skipping nil ones.
func chain(steps ...registry.AdmitFunc) registry.AdmitFunc {
	return func(ctx context.Context, obj, old runtime.Object) error {
		for _, step := range steps {
			if step == nil {
				continue
			}
			if err := step(ctx, obj, old); err != nil {
				return err
			}
		}
		return nil
	}
}

// writeFuncs are the mutating and validating steps of a write: managed fields
// tracking (unless manager is ""), then admission.
func (e *endpoint) writeFuncs(r *http.Request, op, ns, name, subresource string, dry bool, track bool) (mutate, validate registry.AdmitFunc, err error) {
	admitMutate, admitValidate := e.admitFuncs(op, ns, name, subresource, dry, writeOptions(r, op))
	if !track {
		return admitMutate, admitValidate, nil
	}
	manager, err := managerName(r)
	if err != nil {
		return nil, nil, err
	}
	fieldsStep, err := e.trackManagedFields(manager, subresource)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(fmt.Errorf("field manager: %w", err))
	}
	return chain(fieldsStep, admitMutate), admitValidate, nil
}
