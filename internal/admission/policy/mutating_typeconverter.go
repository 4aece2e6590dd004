package policy

import (
	"context"
	"fmt"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/apiextensions/crdopenapi"
	crdschema "github.com/kapi-dev/kapi/internal/apiextensions/schema"
)

// typeConverters finds the structured-merge-diff schema an ApplyConfiguration is
// merged with: the built-in kinds' converter (built on first use, since building
// it costs time and memory the server must not spend at start), or, for a custom
// resource, one built from its CRD's schemas and kept while the CRD's spec stays.
// It also keeps each CRD's structural schemas, which default mutated custom
// resources.
type typeConverters struct {
	// builtin returns the converter of every built-in kind; nil when the server
	// gave none.
	builtin func() (managedfields.TypeConverter, error)
	// crds reads CustomResourceDefinitions; nil when the server gave none.
	crds webhook.Reader

	// mu guards byCRD.
	mu    sync.Mutex
	byCRD map[string]*crdSchemas
}

// crdSchemas is what one CRD's spec at one generation gives mutations.
type crdSchemas struct {
	uid        types.UID
	generation int64
	group      string
	kind       string
	// converter builds the merge schema on first use: a CRD whose objects are
	// only JSON-patched never pays for it.
	converter func() managedfields.TypeConverter
	// byVersion holds each version's structural schema; a version without a
	// schema is absent and defaults nothing.
	byVersion map[string]*crdschema.Schema
}

// forObject returns the converter that knows obj's kind: the built-in one for
// typed objects, the CRD's for custom resources. A kind its source does not know
// gets upstream's 503 (the CRD may simply not be served yet). Without the source
// (a plugin built without it), objects merge by the deduced schema, upstream's
// merge for objects whose schema is unknown.
func (t *typeConverters) forObject(ctx context.Context, obj runtime.Object, gvr schema.GroupVersionResource) (managedfields.TypeConverter, error) {
	gvk := obj.GetObjectKind().GroupVersionKind()
	var tc managedfields.TypeConverter
	_, custom := obj.(*unstructured.Unstructured)
	switch {
	case custom && t.crds != nil:
		crd, err := t.forCRD(ctx, gvr)
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
		if crd != nil {
			tc = crd.converter()
		}
	case !custom && t.builtin != nil:
		var err error
		if tc, err = t.builtin(); err != nil {
			return nil, apierrors.NewInternalError(fmt.Errorf("building the type converter: %w", err))
		}
	default:
		return managedfields.NewDeducedTypeConverter(), nil
	}
	if tc == nil || !knowsKind(tc, gvk) {
		return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("Resource kind %s not found. There can be a delay between when CustomResourceDefinitions are created and when they are available.", gvk))
	}
	return tc, nil
}

// knowsKind reports whether tc has a schema for gvk: converting an empty object of
// the kind fails only when it has none.
func knowsKind(tc managedfields.TypeConverter, gvk schema.GroupVersionKind) bool {
	stub := &unstructured.Unstructured{}
	stub.SetGroupVersionKind(gvk)
	_, err := tc.ObjectToTyped(stub)
	return err == nil
}

// defaultCustomResource sets, in place, the defaults of obj's CRD's structural
// schema at obj's version, as upstream defaults a custom resource after each
// mutation. Without a CRD source, or for a CRD that is gone, nothing changes.
func (t *typeConverters) defaultCustomResource(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error {
	if t.crds == nil {
		return nil
	}
	crd, err := t.forCRD(ctx, gvr)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	gvk := obj.GroupVersionKind()
	if gvk.Group != crd.group || gvk.Kind != crd.kind {
		return nil
	}
	if s := crd.byVersion[gvk.Version]; s != nil {
		s.Default(obj.Object)
	}
	return nil
}

// forCRD returns the schemas of the CRD serving gvr, rebuilt when the CRD was
// replaced or its spec changed. A schema that cannot be converted merges by the
// deduced schema, as server-side apply does for that CRD's objects.
func (t *typeConverters) forCRD(ctx context.Context, gvr schema.GroupVersionResource) (*crdSchemas, error) {
	name := gvr.Resource + "." + gvr.Group
	obj, err := t.crds.Get(ctx, "", name, &metav1.GetOptions{ResourceVersion: "0"})
	if apierrors.IsNotFound(err) {
		obj, err = t.crds.Get(ctx, "", name, &metav1.GetOptions{})
	}
	if err != nil {
		return nil, err
	}
	crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition)
	if !ok {
		return nil, apierrors.NewInternalError(fmt.Errorf("unexpected CustomResourceDefinition object %T", obj))
	}
	t.mu.Lock()
	cached, ok := t.byCRD[name]
	t.mu.Unlock()
	if ok && cached.uid == crd.UID && cached.generation == crd.Generation {
		return cached, nil
	}
	// Built outside the lock: other kinds' mutations need not wait for it. The
	// schemas and the converter keep pointers into the CRD, so they get their
	// own copy of the reader's.
	crd = crd.DeepCopy()
	// Objects carry the accepted kind, which is the spec's once the CRD is served.
	kind := crd.Status.AcceptedNames.Kind
	if kind == "" {
		kind = crd.Spec.Names.Kind
	}
	built := &crdSchemas{uid: crd.UID, generation: crd.Generation, group: crd.Spec.Group, kind: kind,
		byVersion: map[string]*crdschema.Schema{}}
	for i := range crd.Spec.Versions {
		v := &crd.Spec.Versions[i]
		if v.Schema != nil && v.Schema.OpenAPIV3Schema != nil {
			built.byVersion[v.Name] = crdschema.New(v.Schema.OpenAPIV3Schema)
		}
	}
	built.converter = sync.OnceValue(func() managedfields.TypeConverter {
		if defs, preserve, err := crdopenapi.SSADefinitionsAllVersions(crd); err == nil {
			if tc, err := managedfields.NewTypeConverter(defs, preserve); err == nil {
				return tc
			}
		}
		return managedfields.NewDeducedTypeConverter()
	})
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byCRD == nil {
		t.byCRD = map[string]*crdSchemas{}
	}
	t.byCRD[name] = built
	return built, nil
}
