package registry

import (
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/storage"
)

// NameFunc validates a name (prefix is true for generateName) and returns messages.
type NameFunc = func(name string, prefix bool) []string

func (s *Store) nameValidator() NameFunc {
	if s.res.ValidateName != nil {
		return s.res.ValidateName
	}
	return apivalidation.NameIsDNSSubdomain
}

// ValidateObjectMeta checks the metadata of a new object with kube-apiserver's rules.
func ValidateObjectMeta(acc metav1.Object, namespaced bool, name NameFunc) field.ErrorList {
	return apivalidation.ValidateObjectMetaAccessor(acc, namespaced, name, field.NewPath("metadata"))
}

// ValidateObjectMetaUpdate checks metadata changes and the new metadata.
func ValidateObjectMetaUpdate(acc, old metav1.Object, namespaced bool, name NameFunc) field.ErrorList {
	errs := apivalidation.ValidateObjectMetaAccessorUpdate(acc, old, field.NewPath("metadata"))
	return append(errs, ValidateObjectMeta(acc, namespaced, name)...)
}

// Attrs returns the labels and selectable fields of obj.
func (s *Store) Attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, nil, err
	}
	fs := fields.Set{"metadata.name": acc.GetName()}
	if s.res.Namespaced {
		fs["metadata.namespace"] = acc.GetNamespace()
	}
	if s.res.SelectableFields != nil {
		for k, v := range s.res.SelectableFields(obj) {
			fs[k] = v
		}
	}
	return labels.Set(acc.GetLabels()), fs, nil
}

// SupportedFields lists the field selector keys of the resource.
func (s *Store) SupportedFields() []string {
	_, set, _ := s.Attrs(s.newFunc())
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// convertFieldLabel accepts the field labels the resource supports, with upstream's
// messages for the others.
func (s *Store) convertFieldLabel(label, value string) (string, string, error) {
	if s.res.FieldLabelConversion != nil {
		return s.res.FieldLabelConversion(label, value)
	}
	if s.res.SelectableFields == nil {
		return runtime.DefaultMetaV1FieldSelectorConversion(label, value)
	}
	for _, k := range s.SupportedFields() {
		if k == label {
			return label, value, nil
		}
	}
	return "", "", fmt.Errorf("field label not supported: %s", label)
}

// Predicate parses selectors into a storage predicate, rejecting what upstream rejects
// with 400 BadRequest.
func (s *Store) Predicate(labelSelector, fieldSelector string) (storage.SelectionPredicate, error) {
	ls, err := labels.Parse(labelSelector)
	if err != nil {
		return storage.SelectionPredicate{}, apierrors.NewBadRequest(err.Error())
	}
	fsel, err := fields.ParseSelector(fieldSelector)
	if err != nil {
		return storage.SelectionPredicate{}, apierrors.NewBadRequest(err.Error())
	}
	if !fsel.Empty() {
		if fsel, err = fsel.Transform(s.convertFieldLabel); err != nil {
			return storage.SelectionPredicate{}, apierrors.NewBadRequest(err.Error())
		}
	}
	return storage.SelectionPredicate{Label: ls, Field: fsel, GetAttrs: s.Attrs, GetLabels: objectLabels}, nil
}

// objectLabels returns the labels of obj, as Attrs does.
func objectLabels(obj runtime.Object) (labels.Set, error) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	return labels.Set(acc.GetLabels()), nil
}
