package apiextensions

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/apiextensions/celrules"
	"github.com/kapi-dev/kapi/internal/apiextensions/crdtable"
	crdschema "github.com/kapi-dev/kapi/internal/apiextensions/schema"
	"github.com/kapi-dev/kapi/internal/registry"
)

// servedVersion is what one version of a CRD needs at request time.
type servedVersion struct {
	name   string
	schema *crdschema.Schema
	rules  *celrules.Validator
}

// storageVersion returns the name of the version objects are stored in.
func storageVersion(crd *apiextensionsv1.CustomResourceDefinition) string {
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			return v.Name
		}
	}
	return ""
}

// keyPrefix is where a CRD's objects live under the etcd prefix, as upstream:
// <group>/<accepted plural>.
func keyPrefix(crd *apiextensionsv1.CustomResourceDefinition) string {
	return crd.Spec.Group + "/" + crd.Status.AcceptedNames.Plural
}

// newResource describes served version v of crd. Objects are held at the storage
// version; hooks that depend on the version's schema see them converted to v.
func newResource(crd *apiextensionsv1.CustomResourceDefinition, v *apiextensionsv1.CustomResourceDefinitionVersion, ver *servedVersion, types *objectTypes) (*registry.Resource, error) {
	names := crd.Status.AcceptedNames
	gv := schema.GroupVersion{Group: crd.Spec.Group, Version: v.Name}
	storage := schema.GroupVersion{Group: crd.Spec.Group, Version: storageVersion(crd)}.WithKind(names.Kind)
	res := &registry.Resource{
		GroupVersion: gv, Name: names.Plural, SingularName: names.Singular,
		Kind: names.Kind, ListKind: names.ListKind,
		ShortNames: names.ShortNames, Categories: names.Categories,
		Namespaced:  crd.Spec.Scope == apiextensionsv1.NamespaceScoped,
		StorageKind: storage, StoreAsJSON: true, KeyPrefix: keyPrefix(crd),
		TrackGeneration: true,
	}
	// served converts a stored object to v for the version's own hooks.
	served := func(obj runtime.Object) runtime.Object {
		u, ok := obj.(*unstructured.Unstructured)
		if !ok || u.GroupVersionKind().Version == v.Name {
			return obj
		}
		c, err := types.convert(u, v.Name)
		if err != nil {
			return obj
		}
		return c
	}
	if sub := v.Subresources; sub != nil {
		res.Status = sub.Status != nil
		if sub.Scale != nil {
			sc := crdtable.Scale(sub.Scale)
			sc.ReplicasPath = strings.Split(strings.TrimPrefix(sub.Scale.SpecReplicasPath, "."), ".")
			res.Scale = sc
		}
	}
	table, err := crdtable.Table(v.AdditionalPrinterColumns)
	if err != nil {
		// As upstream: the columns before the bad one are still served.
		slog.Warn("custom resource printer columns", "crd", crd.Name, "version", v.Name, "err", err)
		if table == nil {
			return nil, err
		}
	}
	if v.Name != storage.Version {
		cells := table.Cells
		table.Cells = func(obj runtime.Object) ([]any, error) { return cells(served(obj)) }
	}
	res.Table = table
	allowed := map[string]bool{"metadata.name": true}
	if res.Namespaced {
		allowed["metadata.namespace"] = true
	}
	if len(v.SelectableFields) > 0 {
		selectable := crdtable.SelectableFields(v.SelectableFields)
		res.SelectableFields = func(obj runtime.Object) fields.Set { return selectable(served(obj)) }
		for _, f := range v.SelectableFields {
			allowed[strings.TrimPrefix(f.JSONPath, ".")] = true
		}
	}
	res.FieldLabelConversion = func(label, value string) (string, string, error) {
		if allowed[label] {
			return label, value, nil
		}
		return "", "", fieldLabelError(label)
	}
	res.Validate = func(obj runtime.Object) field.ErrorList {
		acc, err := meta.Accessor(obj)
		if err != nil {
			return field.ErrorList{field.InternalError(nil, err)}
		}
		errs := registry.ValidateObjectMeta(acc, res.Namespaced, apivalidation.NameIsDNSSubdomain)
		return append(errs, ver.validate(served(obj), nil)...)
	}
	validateUpdate := func(obj, old runtime.Object, status bool) field.ErrorList {
		acc, err := meta.Accessor(obj)
		if err != nil {
			return field.ErrorList{field.InternalError(nil, err)}
		}
		oldAcc, err := meta.Accessor(old)
		if err != nil {
			return field.ErrorList{field.InternalError(nil, err)}
		}
		errs := registry.ValidateObjectMetaUpdate(acc, oldAcc, res.Namespaced, apivalidation.NameIsDNSSubdomain)
		return append(errs, ver.validateUpdate(served(obj), served(old), status)...)
	}
	res.ValidateUpdate = func(obj, old runtime.Object) field.ErrorList { return validateUpdate(obj, old, false) }
	res.ValidateStatusUpdate = func(obj, old runtime.Object) field.ErrorList { return validateUpdate(obj, old, true) }
	return res, nil
}

// validate checks a new custom resource against the version's schema, then its
// validation rules.
func (ver *servedVersion) validate(obj runtime.Object, _ runtime.Object) field.ErrorList {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok || ver.schema == nil {
		return nil
	}
	errs := ver.schema.Validate(u.Object)
	if ver.rules != nil && len(errs) == 0 {
		errs = append(errs, ver.rules.Validate(context.Background(), u.Object, nil)...)
	}
	return errs
}

// validateUpdate is validate for an update (through /status when status is true):
// errors on values the update did not change are ratcheted away.
func (ver *servedVersion) validateUpdate(obj, old runtime.Object, status bool) field.ErrorList {
	u, ok := obj.(*unstructured.Unstructured)
	o, ok2 := old.(*unstructured.Unstructured)
	if !ok || !ok2 || ver.schema == nil {
		return nil
	}
	var errs field.ErrorList
	if status {
		errs = ver.schema.ValidateStatusUpdate(u.Object, o.Object)
	} else {
		errs = ver.schema.ValidateUpdate(u.Object, o.Object)
	}
	if ver.rules != nil && len(errs) == 0 {
		errs = append(errs, ver.rules.Validate(context.Background(), u.Object, o.Object)...)
	}
	return errs
}

// fieldLabelError refuses a field selector on a field the version does not make
// selectable, with upstream's message.
func fieldLabelError(label string) error {
	return fmt.Errorf("field label not supported: %s", label)
}
