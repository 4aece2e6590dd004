package validation

import (
	"fmt"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Name validators the registry installs as Resource.ValidateName. They return the
// messages upstream puts in the metadata.name cause.
var (
	// NameIsDNSSubdomain is the rule of most resources.
	NameIsDNSSubdomain = apivalidation.NameIsDNSSubdomain
	// NameIsDNSLabel is the rule of namespaces, services and statefulsets.
	NameIsDNSLabel = apivalidation.NameIsDNSLabel
	// NameIsDNS1035Label is the rule of resources whose names become DNS labels
	// that must start with a letter.
	NameIsDNS1035Label = apivalidation.NameIsDNS1035Label
	// NameIsPathSegment accepts any name usable in a URL path segment; core/v1
	// events are only held to it.
	NameIsPathSegment = path.ValidatePathSegmentName
)

// Messages shared with upstream; clients and tests match on them.
const (
	immutableMsg           = "field is immutable"
	immutableWhenSetMsg    = "field is immutable when `immutable` is set"
	selectorMismatchMsg    = "`selector` does not match template `labels`"
	isNegativeMsg          = apivalidation.IsNegativeErrorMsg
	isNotPositiveMsg       = "must be greater than zero"
	maxConfigMapSecretSize = 1 * 1024 * 1024
)

// standardFinalizers are the unqualified finalizer names Kubernetes itself uses.
var standardFinalizers = map[string]bool{
	"kubernetes":         true,
	"orphan":             true,
	"foregroundDeletion": true,
}

// kubeFinalizerName rejects unqualified finalizers other than the standard ones; the
// generic metadata check only looks at the qualified-name syntax.
func kubeFinalizerName(name string, fldPath *field.Path) field.ErrorList {
	if !strings.Contains(name, "/") && !standardFinalizers[name] {
		return field.ErrorList{field.Invalid(fldPath, name, "name is neither a standard finalizer name nor is it fully qualified")}
	}
	return nil
}

// objectMeta validates metadata on create with the resource's name rule.
func objectMeta(meta *metav1.ObjectMeta, namespaced bool, nameFn apivalidation.ValidateNameFunc) field.ErrorList {
	fldPath := field.NewPath("metadata")
	allErrs := apivalidation.ValidateObjectMeta(meta, namespaced, nameFn, fldPath)
	for i, f := range meta.Finalizers {
		allErrs = append(allErrs, kubeFinalizerName(f, fldPath.Child("finalizers").Index(i))...)
	}
	return allErrs
}

// objectMetaUpdate validates the metadata fields that may not change on update.
func objectMetaUpdate(meta, old *metav1.ObjectMeta) field.ErrorList {
	fldPath := field.NewPath("metadata")
	allErrs := apivalidation.ValidateObjectMetaUpdate(meta, old, fldPath)
	for i, f := range meta.Finalizers {
		allErrs = append(allErrs, kubeFinalizerName(f, fldPath.Child("finalizers").Index(i))...)
	}
	return allErrs
}

// as converts a hook argument to the expected pointer type; a mismatch is a wiring
// bug in the registry, reported as an internal error rather than a panic.
func as[T runtime.Object](obj runtime.Object) (T, *field.Error) {
	t, ok := obj.(T)
	if !ok || any(t) == nil {
		var zero T
		return zero, field.InternalError(nil, fmt.Errorf("expected %T, got %T", zero, obj))
	}
	return t, nil
}

// create adapts a typed create validator to the registry hook shape.
func create[T runtime.Object](obj runtime.Object, fn func(T) field.ErrorList) field.ErrorList {
	t, err := as[T](obj)
	if err != nil {
		return field.ErrorList{err}
	}
	return fn(t)
}

// update adapts a typed update validator to the registry hook shape.
func update[T runtime.Object](obj, old runtime.Object, fn func(T, T) field.ErrorList) field.ErrorList {
	t, err := as[T](obj)
	if err != nil {
		return field.ErrorList{err}
	}
	o, err := as[T](old)
	if err != nil {
		return field.ErrorList{err}
	}
	return fn(t, o)
}

// immutable reports fldPath as immutable when the values differ semantically.
func immutable(newVal, oldVal any, fldPath *field.Path) field.ErrorList {
	return apivalidation.ValidateImmutableField(newVal, oldVal, fldPath)
}

// nonNegative checks integer fields such as replicas.
func nonNegative(v int64, fldPath *field.Path) field.ErrorList {
	return apivalidation.ValidateNonnegativeField(v, fldPath)
}
