package webhook

import (
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/registry"
)

// Versioner converts objects between the stored type and the versions webhooks and
// policies ask for.
type Versioner struct {
	Scheme *runtime.Scheme
	// Resources are the served resources: the versions matchPolicy Equivalent may
	// choose among.
	Resources []*registry.Resource

	// types and kind are the request's own (see For): a custom resource's
	// objects convert through its CRD, which the scheme does not know.
	types endpoints.ObjectTypes
	kind  schema.GroupVersionKind
}

// For returns v for one request: its objects convert through the endpoint's
// ObjectTypes and a custom resource's equivalents are its CRD's versions.
func (v Versioner) For(a *endpoints.Attributes) Versioner {
	if a != nil {
		v.types, v.kind = a.Types, a.Kind
	}
	return v
}

// custom returns the CRD's object types when obj is a custom resource of the
// request's own (an unstructured object converted by them); nil otherwise.
func (v Versioner) custom(obj runtime.Object) endpoints.ObjectTypes {
	if _, ok := obj.(*unstructured.Unstructured); !ok || v.types == nil {
		return nil
	}
	if _, ok := v.types.(*runtime.Scheme); ok {
		return nil
	}
	return v.types
}

// Equivalents returns the other versions of r's resource, with their kinds: the
// other served versions of a built-in resource, every other version of a custom
// resource's CRD (with the request's kind, or autoscaling/v1 Scale for scale).
func (v Versioner) Equivalents(r schema.GroupVersionResource) []schema.GroupVersionKind {
	if vt, ok := v.types.(endpoints.VersionedTypes); ok {
		var out []schema.GroupVersionKind
		for _, ver := range vt.Versions() {
			if ver == r.Version {
				continue
			}
			kind := v.kind
			if kind.Group == r.Group {
				kind.Version = ver
			}
			out = append(out, kind)
		}
		return out
	}
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
	if types := v.custom(obj); types != nil && obj.GetObjectKind().GroupVersionKind().Group == gvk.Group {
		return types.ConvertToVersion(obj.DeepCopyObject(), gvk.GroupVersion())
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

// Default applies the defaults of obj's version: the CRD's schema for a custom
// resource, the scheme's otherwise.
func (v Versioner) Default(obj runtime.Object) {
	if types := v.custom(obj); types != nil {
		types.Default(obj)
		return
	}
	v.Scheme.Default(obj)
}

// Into replaces the content of dst (the stored type) with src converted to it. A
// custom resource is converted back to dst's version by its CRD.
func (v Versioner) Into(src, dst runtime.Object) error {
	if types := v.custom(src); types != nil {
		want := dst.GetObjectKind().GroupVersionKind()
		if src.GetObjectKind().GroupVersionKind() != want && !want.Empty() {
			out, err := types.ConvertToVersion(src, want.GroupVersion())
			if err != nil {
				return err
			}
			src = out
		}
	}
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
