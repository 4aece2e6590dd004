package endpoints

import (
	"maps"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/registry"
)

// ObjectTypes creates, defaults and converts a resource's objects. The
// runtime.Scheme is the ObjectTypes of every built-in resource; a custom resource
// brings its CRD's own (unstructured objects, schema defaults, version conversion).
type ObjectTypes interface {
	runtime.ObjectCreater
	runtime.ObjectDefaulter
	runtime.ObjectConvertor
}

// ItemsConverter is implemented by ObjectTypes that convert the items of a list in
// one go (a CRD's conversion webhook is called once per list, not per item).
type ItemsConverter interface {
	ConvertItems(items []runtime.Object, to schema.GroupVersion) ([]runtime.Object, error)
}

// VersionedTypes is implemented by ObjectTypes that hold one kind in versions of
// their own (a CRD's): every version, served or not, in the CRD's order, as
// upstream registers them as equivalents for matchPolicy Equivalent.
type VersionedTypes interface {
	Versions() []string
}

// Custom describes a resource registered at run time beside its store.
type Custom struct {
	Types ObjectTypes
	// TypeConverter builds the server-side apply schema of the resource, on first use.
	TypeConverter TypeConverterFunc
	// AfterDecode runs on every decoded request body in the served version: it drops
	// the fields the schema does not know and returns their paths, which
	// fieldValidation reports; an error refuses the body.
	AfterDecode func(obj runtime.Object) (unknown []string, err error)
	// Warning is sent with every request (a deprecated version's warning).
	Warning string
}

// Add serves store's resource from now on, replacing an earlier registration of the
// same group/version/resource. Requests already running finish on the old one.
func (a *API) Add(store *registry.Store, c Custom) {
	e := &endpoint{
		api: a, res: store.Resource(), store: store, types: c.Types,
		fieldManagers: &fieldManagers{build: c.TypeConverter, custom: true},
		afterDecode:   c.AfterDecode, custom: true, warning: c.Warning,
	}
	a.addMu.Lock()
	defer a.addMu.Unlock()
	eps := maps.Clone(*a.endpoints.Load())
	eps[store.Resource().GroupVersionResource()] = e
	a.endpoints.Store(&eps)
}

// Remove stops serving gvr.
func (a *API) Remove(gvr schema.GroupVersionResource) {
	a.addMu.Lock()
	defer a.addMu.Unlock()
	eps := maps.Clone(*a.endpoints.Load())
	delete(eps, gvr)
	a.endpoints.Store(&eps)
}
