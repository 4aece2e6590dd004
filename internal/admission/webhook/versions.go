package webhook

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Versioner converts objects between the stored type and the versions webhooks and
// policies ask for.
type Versioner struct {
	Scheme *runtime.Scheme
	// Resources are the served resources: the versions matchPolicy Equivalent may
	// choose among.
	Resources []*registry.Resource
}

// Equivalents returns the other served versions of r's resource, with their kinds.
func (v Versioner) Equivalents(r schema.GroupVersionResource) []schema.GroupVersionKind {
	var out []schema.GroupVersionKind
	for _, res := range v.Resources {
		gvr := res.GroupVersionResource()
		if gvr.Group == r.Group && gvr.Resource == r.Resource && gvr.Version != r.Version {
			out = append(out, res.GroupVersionKind())
		}
	}
	return out
}

// ToVersion returns a copy of obj converted to gvk's version with its type meta set.
// An object of another group (a Scale of a subresource) keeps its own kind.
func (v Versioner) ToVersion(obj runtime.Object, gvk schema.GroupVersionKind) (runtime.Object, error) {
	if obj == nil {
		return nil, nil
	}
	out, err := v.Scheme.ConvertToVersion(obj.DeepCopyObject(), gvk.GroupVersion())
	if err != nil {
		kinds, _, kerr := v.Scheme.ObjectKinds(obj)
		if kerr != nil || len(kinds) == 0 {
			return nil, err
		}
		out = obj.DeepCopyObject()
		out.GetObjectKind().SetGroupVersionKind(kinds[0])
		return out, nil
	}
	return out, nil
}

// Into replaces the content of dst (the stored type) with src converted to it.
func (v Versioner) Into(src, dst runtime.Object) error {
	if reflect.TypeOf(src) == reflect.TypeOf(dst) {
		reflect.ValueOf(dst).Elem().Set(reflect.ValueOf(src).Elem())
		return nil
	}
	fresh := reflect.New(reflect.TypeOf(dst).Elem()).Interface().(runtime.Object)
	if err := v.Scheme.Convert(src, fresh, nil); err != nil {
		return fmt.Errorf("converting %T to %T: %w", src, dst, err)
	}
	reflect.ValueOf(dst).Elem().Set(reflect.ValueOf(fresh).Elem())
	return nil
}
