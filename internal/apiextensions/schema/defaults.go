package schema

import (
	"fmt"
	"reflect"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateDefaults checks every default in a structural schema the way
// kube-apiserver does at CRD write time, requiring pruned defaults: each must
// validate against its own schema, contain no unknown fields, and, when it
// lies in metadata (or apiVersion/kind) of the resource or an embedded
// resource, result in valid metadata. Call it only when ValidateStructural
// found nothing. x-kubernetes-validations rules on defaults are the CEL
// package's business.
func ValidateDefaults(props *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) field.ErrorList {
	return ValidateDefaultsWithOptions(props, fldPath, true)
}

// ValidateDefaultsWithOptions is ValidateDefaults with requirePrunedDefaults
// as a choice: upstream turns it off on updates of CRDs whose stored schema
// already had unpruned defaults (see HasUnprunedDefaults).
func ValidateDefaultsWithOptions(props *apiextensionsv1.JSONSchemaProps, fldPath *field.Path, requirePrunedDefaults bool) field.ErrorList {
	if props == nil {
		return nil
	}
	internal, err := toInternal(props)
	if err != nil {
		return nil
	}
	root, err := buildNode(internal)
	if err != nil {
		return nil
	}
	v := defaultsValidator{requirePruned: requirePrunedDefaults, schemaPath: fldPath}
	root = root.asResourceRoot()
	v.walk(fldPath, root, root, nil, false)
	return v.errs
}

// HasUnprunedDefaults reports whether any default in props would change when
// pruned, which relaxes ValidateDefaults for updates of such CRDs.
func HasUnprunedDefaults(props *apiextensionsv1.JSONSchemaProps) bool {
	if props == nil {
		return false
	}
	internal, err := toInternal(props)
	if err != nil {
		return false
	}
	root, err := buildNode(internal)
	if err != nil || len(ValidateStructural(props, nil)) > 0 {
		return false
	}
	changed, err := pruneDefaultsAt(root, root.asResourceRoot(), nil)
	return err == nil && changed
}

type defaultsValidator struct {
	requirePruned bool
	schemaPath    *field.Path
	errs          field.ErrorList
}

// walk validates the defaults of n and below. path locates n inside the
// resource whose root schema is root; insideMeta is true below apiVersion,
// kind or metadata of that resource.
func (v *defaultsValidator) walk(pth *field.Path, n, root *node, path []step, insideMeta bool) {
	if n == nil {
		return
	}
	if n.embedded {
		insideMeta = false
		path = nil
		root = n
	}
	if n.def != nil {
		if insideMeta {
			v.checkMetaDefault(pth, n, root, path)
		} else {
			v.checkDefault(pth, n)
		}
	}
	v.walk(pth.Child("items"), n.items, root, withIndex(path), insideMeta)
	for k, p := range n.props {
		sub := insideMeta || (n.embedded && typeMetaFields[k])
		v.walk(pth.Child("properties").Key(k), p, root, withKey(path, k), sub)
	}
}

// checkMetaDefault validates a default inside metadata in the context of a
// stand-in resource.
func (v *defaultsValidator) checkMetaDefault(pth *field.Path, n, root *node, path []step) {
	obj, err := surround(runtime.DeepCopyJSONValue(n.def), path, true)
	if err != nil {
		v.errs = append(v.errs, field.Invalid(v.schemaPath, "", fmt.Sprintf("failed to validate default value inside metadata: %v", err)))
		return
	}
	c := coercer{}
	if ferr := c.coerce(nil, obj, root); ferr != nil {
		v.errs = append(v.errs, field.Invalid(pth.Child("default"), n.def, fmt.Sprintf("must result in valid metadata: %v", ferr)))
		return
	}
	if errs := validateEmbedded(nil, obj, root); len(errs) > 0 {
		v.errs = append(v.errs, field.Invalid(pth.Child("default"), n.def, fmt.Sprintf("must result in valid metadata: %v", errs.ToAggregate())))
		return
	}
	v.errs = append(v.errs, v.valueErrors(pth, n, n.def)...)
}

// checkDefault validates an ordinary default against its own schema.
func (v *defaultsValidator) checkDefault(pth *field.Path, n *node) {
	if v.requirePruned {
		pruned := runtime.DeepCopyJSONValue(n.def)
		p := pruner{}
		p.prune(pruned, n)
		if !reflect.DeepEqual(pruned, n.def) {
			v.errs = append(v.errs, field.Invalid(pth.Child("default"), n.def, "must not have unknown fields"))
		}
	}
	def := runtime.DeepCopyJSONValue(n.def)
	c := coercer{}
	if ferr := c.coerce(pth.Child("default"), def, n); ferr != nil {
		v.errs = append(v.errs, ferr)
		return
	}
	if errs := validateEmbedded(pth.Child("default"), def, n); len(errs) > 0 {
		v.errs = append(v.errs, errs...)
		return
	}
	v.errs = append(v.errs, v.valueErrors(pth, n, def)...)
}

// valueErrors validates value, a default of n, with kube-openapi.
func (v *defaultsValidator) valueErrors(pth *field.Path, n *node, value any) field.ErrorList {
	sch := toOpenAPI(n.src, forDefaults)
	return openAPIErrors(pth.Child("default"), newValidator(sch).Validate(value))
}
