package crdopenapi

import (
	"fmt"
	"maps"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/kube-openapi/pkg/builder3"
	builderutil "k8s.io/kube-openapi/pkg/builder3/util"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/kapi-dev/kapi/internal/openapi/generated"
)

// metaDefinitions is ObjectMeta, ListMeta and every type they reference in their
// v3 form. It depends only on the generated code, so it is built once per process
// and only read afterwards.
var metaDefinitions = sync.OnceValues(func() (map[string]*spec.Schema, error) {
	cfg := &common.OpenAPIV3Config{
		GetDefinitions:    generated.GetOpenAPIDefinitions,
		GetDefinitionName: func(name string) (string, spec.Extensions) { return name, nil },
	}
	return builder3.BuildOpenAPIDefinitionsForResources(cfg, ObjectMetaName, listMetaName)
})

// SSADefinitions returns the schemas server-side apply builds a type converter
// from for one version of crd (managedfields.NewTypeConverter(defs, preserve)):
// the v3 kind and list definitions as upstream builds them for apply, with
// references wrapped the way kube-openapi's v3 builder wraps them, plus ObjectMeta,
// ListMeta and the types they reference, so every reference resolves. preserve is the CRD's
// spec.preserveUnknownFields, the flag upstream hands the converter. The schemas
// may be shared between calls: callers must not modify them.
func SSADefinitions(crd *apiextensionsv1.CustomResourceDefinition, version string) (map[string]*spec.Schema, bool, error) {
	out, err := baseDefinitions()
	if err != nil {
		return nil, false, err
	}
	if err := addSSAVersion(out, crd, version); err != nil {
		return nil, false, err
	}
	return out, crd.Spec.PreserveUnknownFields, nil
}

// SSADefinitionsAllVersions is SSADefinitions for every version of crd at once,
// served or not: upstream gives each CRD one type converter that knows all of its
// versions, since managed fields may name any of them.
func SSADefinitionsAllVersions(crd *apiextensionsv1.CustomResourceDefinition) (map[string]*spec.Schema, bool, error) {
	if crd == nil {
		return nil, false, fmt.Errorf("crdopenapi: no CustomResourceDefinition")
	}
	out, err := baseDefinitions()
	if err != nil {
		return nil, false, err
	}
	for _, v := range crd.Spec.Versions {
		if err := addSSAVersion(out, crd, v.Name); err != nil {
			return nil, false, err
		}
	}
	return out, crd.Spec.PreserveUnknownFields, nil
}

func baseDefinitions() (map[string]*spec.Schema, error) {
	meta, err := metaDefinitions()
	if err != nil {
		return nil, fmt.Errorf("crdopenapi: ObjectMeta definitions: %w", err)
	}
	return maps.Clone(meta), nil
}

func addSSAVersion(out map[string]*spec.Schema, crd *apiextensionsv1.CustomResourceDefinition, version string) error {
	defs, err := Definitions(crd, version, V3)
	if err != nil {
		return err
	}
	for name, d := range defs {
		s := d.Schema
		out[name] = builderutil.WrapRefs(&s)
	}
	return nil
}
