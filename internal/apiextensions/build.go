package apiextensions

import (
	"context"
	"fmt"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/version"

	"github.com/kapi-dev/kapi/internal/apiextensions/celrules"
	"github.com/kapi-dev/kapi/internal/apiextensions/conversion"
	"github.com/kapi-dev/kapi/internal/apiextensions/crdopenapi"
	crdschema "github.com/kapi-dev/kapi/internal/apiextensions/schema"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/registry"
)

// build creates the resources, storage and stores of every served version of crd.
// They share one storage (one watch cache) at the storage version.
func (m *Manager) build(crd *apiextensionsv1.CustomResourceDefinition) (*served, error) {
	crd = crd.DeepCopy()
	conv, err := conversion.New(crd, conversion.Options{ResolveService: m.cfg.ResolveService})
	if err != nil {
		return nil, err
	}
	names := crd.Status.AcceptedNames
	types := &objectTypes{group: crd.Spec.Group, kind: names.Kind, listKind: names.ListKind,
		schemas: map[string]*crdschema.Schema{}, converter: conv}
	versions := map[string]*servedVersion{}
	for i := range crd.Spec.Versions {
		v := &crd.Spec.Versions[i]
		var props *apiextensionsv1.JSONSchemaProps
		if v.Schema != nil {
			props = v.Schema.OpenAPIV3Schema
		}
		ver := &servedVersion{name: v.Name, schema: crdschema.New(props)}
		if props != nil {
			// Rules that do not compile were refused when the CRD was written; a CRD
			// stored before is served without them, as upstream.
			ver.rules, _ = celrules.Compile(props, nil)
		}
		versions[v.Name] = ver
		types.schemas[v.Name] = ver.schema
		types.versions = append(types.versions, v.Name)
	}
	storageVer := storageVersion(crd)
	s := &served{crd: crd, def: crd, stores: map[string]*registry.Store{}, types: types, versions: versions, manager: m}
	codec := &storageCodec{Codec: m.cfg.Codec, schema: versions[storageVer].schemaOrNil()}
	newFunc := func() runtime.Object { return &unstructured.Unstructured{} }
	newList := func() runtime.Object { return &unstructured.UnstructuredList{} }
	var first *registry.Resource
	resources := map[string]*registry.Resource{}
	for i := range crd.Spec.Versions {
		v := &crd.Spec.Versions[i]
		if !v.Served {
			continue
		}
		res, err := newResource(crd, v, versions[v.Name], types)
		if err != nil {
			return nil, err
		}
		res.AuthorizeWrite = s.refuseCreateWhileTerminating
		resources[v.Name] = res
		if first == nil {
			first = res
		}
	}
	s.stop = func() {}
	if first == nil {
		return s, nil
	}
	st, stop, err := m.cfg.NewStorage(first, codec, newFunc, newList)
	if err != nil {
		return nil, err
	}
	s.stop = stop
	for v, res := range resources {
		s.stores[v] = registry.NewStore(res, st, m.cfg.EtcdPrefix, newFunc, newList)
		s.stores[v].SetDeleteCollectionWorkers(m.cfg.DeleteCollectionWorkers)
	}
	return s, nil
}

func (v *servedVersion) schemaOrNil() *crdschema.Schema {
	if v == nil {
		return nil
	}
	return v.schema
}

// refuseCreateWhileTerminating forbids new objects of a CRD being deleted, as
// upstream.
func (s *served) refuseCreateWhileTerminating(_ context.Context, obj, old runtime.Object) error {
	if old != nil {
		return nil
	}
	s.manager.mu.Lock()
	crd := s.crd
	s.manager.mu.Unlock()
	if crd.DeletionTimestamp == nil && !isTrue(crd, apiextensionsv1.Terminating) {
		return nil
	}
	name := ""
	if u, ok := obj.(*unstructured.Unstructured); ok {
		name = u.GetName()
	}
	gr := schema.GroupResource{Group: crd.Spec.Group, Resource: crd.Status.AcceptedNames.Plural}
	return apierrors.NewForbidden(gr, name, fmt.Errorf("create not allowed while custom resource definition is terminating"))
}

// custom returns what the endpoints need beside st for one served version.
func (s *served) custom(st *registry.Store) endpoints.Custom {
	v := st.Resource().GroupVersion.Version
	ver := s.versions[v]
	c := endpoints.Custom{Types: s.types, TypeConverter: s.typeConverter}
	for _, cv := range s.def.Spec.Versions {
		if cv.Name == v && cv.Deprecated {
			c.Warning = deprecationWarning(s.def, &cv)
		}
	}
	c.AfterDecode = func(obj runtime.Object) ([]string, error) {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok || ver == nil {
			return nil, nil
		}
		unknown := ver.schema.Prune(u.Object)
		errs, metaUnknown := crdschema.CoerceMetadataUnknown(u.Object, ver.schema, false)
		if len(errs) > 0 {
			return nil, apierrors.NewBadRequest(errs[0].Detail)
		}
		// Upstream reports the root's metadata first, then the body, then
		// embedded resources' metadata.
		var root, embedded []string
		for _, p := range metaUnknown {
			if strings.HasPrefix(p, "metadata.") {
				root = append(root, p)
			} else {
				embedded = append(embedded, p)
			}
		}
		return append(append(root, unknown...), embedded...), nil
	}
	return c
}

// typeConverter builds the server-side apply schema of every version, or, as
// upstream, a deduced one when the schema cannot be converted.
func (s *served) typeConverter() (managedfields.TypeConverter, error) {
	defs, preserve, err := crdopenapi.SSADefinitionsAllVersions(s.def)
	if err != nil {
		return managedfields.NewDeducedTypeConverter(), nil
	}
	tc, err := managedfields.NewTypeConverter(defs, preserve)
	if err != nil {
		return managedfields.NewDeducedTypeConverter(), nil
	}
	return tc, nil
}

// deprecationWarning is the Warning a deprecated version's requests get: its own, or
// upstream's default naming the newest served version that is not deprecated.
func deprecationWarning(crd *apiextensionsv1.CustomResourceDefinition, v *apiextensionsv1.CustomResourceDefinitionVersion) string {
	if v.DeprecationWarning != nil {
		return *v.DeprecationWarning
	}
	msg := fmt.Sprintf("%s/%s %s is deprecated", crd.Spec.Group, v.Name, crd.Spec.Names.Kind)
	newest := ""
	for _, o := range crd.Spec.Versions {
		if !o.Served || o.Deprecated || version.CompareKubeAwareVersionStrings(v.Name, o.Name) >= 0 {
			continue
		}
		if newest == "" || version.CompareKubeAwareVersionStrings(o.Name, newest) > 0 {
			newest = o.Name
		}
	}
	if newest != "" {
		msg += fmt.Sprintf("; use %s/%s %s", crd.Spec.Group, newest, crd.Spec.Names.Kind)
	}
	return msg
}

// storageCodec reads custom resources from etcd the way upstream does: metadata
// coerced (invalid fields dropped), unknown fields pruned and defaults applied by the
// storage version's schema.
type storageCodec struct {
	runtime.Codec
	schema *crdschema.Schema
}

func (c *storageCodec) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := c.Codec.Decode(data, defaults, into)
	if err != nil || c.schema == nil {
		return obj, gvk, err
	}
	if u, ok := obj.(*unstructured.Unstructured); ok {
		c.schema.Prune(u.Object)
		crdschema.CoerceMetadata(u.Object, c.schema, true)
		c.schema.Default(u.Object)
	}
	return obj, gvk, nil
}
