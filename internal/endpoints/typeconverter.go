package endpoints

import (
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	smdschema "sigs.k8s.io/structured-merge-diff/v6/schema"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// structsUnvalidated wraps the type converter of the field managers so that a Go
// object of a built-in type, asked for with duplicates allowed (the live and the
// new object of every update, the live object of an apply), becomes a typed value
// without structured-merge-diff's schema validation. For a Go struct, whose schema
// was generated from its own type, that walk over the whole object can only find
// what the comparison after it reports as well (an associative list item without
// its key); it was a third of the cost of tracking the managed fields of a Pod
// create. Applied configurations (unstructured) and requests without
// AllowDuplicates are validated as before.
type structsUnvalidated struct {
	managedfields.TypeConverter

	mu    sync.RWMutex
	types map[schema.GroupVersionKind]typeOf // learnt from the first validated object
}

type typeOf struct {
	schema *smdschema.Schema
	ref    smdschema.TypeRef
}

func newStructsUnvalidated(tc managedfields.TypeConverter) *structsUnvalidated {
	return &structsUnvalidated{TypeConverter: tc, types: map[schema.GroupVersionKind]typeOf{}}
}

func (c *structsUnvalidated) ObjectToTyped(obj runtime.Object, opts ...typed.ValidationOptions) (*typed.TypedValue, error) {
	if _, ok := obj.(*unstructured.Unstructured); ok || !slices.Contains(opts, typed.AllowDuplicates) {
		return c.TypeConverter.ObjectToTyped(obj, opts...)
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	c.mu.RLock()
	t, known := c.types[gvk]
	c.mu.RUnlock()
	if !known {
		tv, err := c.TypeConverter.ObjectToTyped(obj, opts...)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.types[gvk] = typeOf{tv.Schema(), tv.TypeRef()}
		c.mu.Unlock()
		return tv, nil
	}
	v, err := value.NewValueReflect(obj)
	if err != nil {
		return c.TypeConverter.ObjectToTyped(obj, opts...)
	}
	return typed.AsTypedUnvalidated(v, t.schema, t.ref), nil
}
