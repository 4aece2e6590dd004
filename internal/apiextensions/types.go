package apiextensions

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/apiextensions/conversion"
	crdschema "github.com/kapi-dev/kapi/internal/apiextensions/schema"
)

// objectTypes creates, defaults and converts the objects of one CRD, in every
// version it serves: what the runtime.Scheme is for built-in types.
type objectTypes struct {
	group          string
	kind, listKind string
	// schemas holds each version's structural schema.
	schemas map[string]*crdschema.Schema
	// versions are the CRD's versions in its order (endpoints.VersionedTypes).
	versions  []string
	converter conversion.Converter
}

// Versions returns every version of the CRD in its order.
func (t *objectTypes) Versions() []string { return t.versions }

// New returns an empty object or list of gvk.
func (t *objectTypes) New(gvk schema.GroupVersionKind) (runtime.Object, error) {
	if gvk.Group == t.group && t.hasVersion(gvk.Version) {
		switch gvk.Kind {
		case t.kind:
			u := &unstructured.Unstructured{Object: map[string]any{}}
			u.SetGroupVersionKind(gvk)
			return u, nil
		case t.listKind:
			l := &unstructured.UnstructuredList{Object: map[string]any{}}
			l.SetGroupVersionKind(gvk)
			return l, nil
		}
	}
	return nil, runtime.NewNotRegisteredErrForKind("CustomResourceDefinition", gvk)
}

func (t *objectTypes) hasVersion(v string) bool {
	_, ok := t.schemas[v]
	return ok
}

// Default applies the defaults of obj's version's schema.
func (t *objectTypes) Default(obj runtime.Object) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	if s := t.schemas[u.GroupVersionKind().Version]; s != nil {
		s.Default(u.Object)
	}
}

// Convert converts in into out, which carries the target version (an object from
// New). The result is defaulted in the target version, as upstream defaults after
// conversion.
func (t *objectTypes) Convert(in, out, _ any) error {
	src, ok := in.(*unstructured.Unstructured)
	dst, ok2 := out.(*unstructured.Unstructured)
	if !ok || !ok2 {
		return fmt.Errorf("cannot convert %T to %T", in, out)
	}
	target := dst.GroupVersionKind().Version
	converted, err := t.convert(src, target)
	if err != nil {
		return err
	}
	dst.Object = converted.Object
	return nil
}

// convert returns a converted copy of obj in version.
func (t *objectTypes) convert(obj *unstructured.Unstructured, version string) (*unstructured.Unstructured, error) {
	c := obj.DeepCopy()
	if version == "" || c.GroupVersionKind().Version == version {
		return c, nil
	}
	if err := t.converter.Convert(context.Background(), []*unstructured.Unstructured{c}, version); err != nil {
		return nil, conversionError(err)
	}
	t.Default(c)
	return c, nil
}

// ConvertToVersion converts in to the version target picks.
func (t *objectTypes) ConvertToVersion(in runtime.Object, target runtime.GroupVersioner) (runtime.Object, error) {
	u, ok := in.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("cannot convert %T", in)
	}
	gvk, ok := target.KindForGroupVersionKinds([]schema.GroupVersionKind{u.GroupVersionKind()})
	if !ok {
		return nil, fmt.Errorf("%s cannot be converted to %v", u.GroupVersionKind(), target)
	}
	return t.convert(u, gvk.Version)
}

// ConvertFieldLabel accepts every label; the store checks field selectors.
func (t *objectTypes) ConvertFieldLabel(_ schema.GroupVersionKind, label, value string) (string, string, error) {
	return label, value, nil
}

// ConvertItems converts the items of a list to version to.Version in one conversion
// call; the stored objects are not modified.
func (t *objectTypes) ConvertItems(items []runtime.Object, to schema.GroupVersion) ([]runtime.Object, error) {
	objs := make([]*unstructured.Unstructured, 0, len(items))
	for _, item := range items {
		u, ok := item.(*unstructured.Unstructured)
		if !ok {
			return nil, fmt.Errorf("cannot convert %T", item)
		}
		objs = append(objs, u.DeepCopy())
	}
	if err := t.converter.Convert(context.Background(), objs, to.Version); err != nil {
		return nil, conversionError(err)
	}
	out := make([]runtime.Object, len(objs))
	for i, u := range objs {
		t.Default(u)
		out[i] = u
	}
	return out, nil
}

// conversionError is a failed conversion as the client sees it: upstream's 500.
func conversionError(err error) error {
	if _, ok := err.(apierrors.APIStatus); ok {
		return err
	}
	return apierrors.NewInternalError(err)
}
