package storage

import (
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// AttrFunc returns the labels and selectable fields of an object.
type AttrFunc func(obj runtime.Object) (labels.Set, fields.Set, error)

// SelectionPredicate selects objects by label and field selectors, and carries the
// paging request of a list.
type SelectionPredicate struct {
	Label    labels.Selector
	Field    fields.Selector
	GetAttrs AttrFunc
	// GetLabels, when set, returns the labels GetAttrs would, without the fields:
	// a predicate without a field selector then skips building them for every object
	// it looks at.
	GetLabels func(obj runtime.Object) (labels.Set, error)
	Limit     int64
	Continue  string
}

// Everything matches every object.
var Everything = SelectionPredicate{Label: labels.Everything(), Field: fields.Everything()}

// Empty reports whether the predicate matches every object.
func (p SelectionPredicate) Empty() bool {
	return (p.Label == nil || p.Label.Empty()) && (p.Field == nil || p.Field.Empty())
}

// Matches reports whether obj satisfies both selectors.
func (p SelectionPredicate) Matches(obj runtime.Object) (bool, error) {
	if p.Empty() {
		return true, nil
	}
	if p.GetLabels != nil && (p.Field == nil || p.Field.Empty()) {
		ls, err := p.GetLabels(obj)
		if err != nil {
			return false, err
		}
		return p.Label.Matches(ls), nil
	}
	if p.GetAttrs == nil {
		return false, nil
	}
	ls, fs, err := p.GetAttrs(obj)
	if err != nil {
		return false, err
	}
	if p.Label != nil && !p.Label.Matches(ls) {
		return false, nil
	}
	if p.Field != nil && !p.Field.Matches(fs) {
		return false, nil
	}
	return true, nil
}
