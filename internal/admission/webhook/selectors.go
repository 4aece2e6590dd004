package webhook

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// NamespaceGetter reads a namespace for namespaceSelector and namespaceObject.
type NamespaceGetter func(ctx context.Context, name string) (*corev1.Namespace, error)

// Subject is what selectors look at: the request and its objects.
type Subject struct {
	Request
	Object, OldObject runtime.Object
}

// IsNamespace reports whether the request is about a Namespace itself.
func (s Subject) IsNamespace() bool {
	return s.Resource.Group == "" && s.Resource.Resource == "namespaces"
}

// MatchObjectSelector reports whether the new or the old object's labels match sel;
// a nil selector matches everything.
func MatchObjectSelector(sel *metav1.LabelSelector, s Subject) (bool, error) {
	if sel == nil {
		return true, nil
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	if selector.Empty() {
		return true, nil
	}
	return selector.Matches(labels.Set(objectLabels(s.Object))) || selector.Matches(labels.Set(objectLabels(s.OldObject))), nil
}

// MatchNamespaceSelector reports whether the request's namespace matches sel. A
// cluster-scoped object other than a Namespace always matches; a Namespace is
// matched by its own labels.
func MatchNamespaceSelector(ctx context.Context, sel *metav1.LabelSelector, s Subject, get NamespaceGetter) (bool, error) {
	if sel == nil {
		return true, nil
	}
	selector, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return false, err
	}
	if selector.Empty() {
		return true, nil
	}
	if s.IsNamespace() {
		obj := s.Object
		if obj == nil {
			obj = s.OldObject
		}
		return selector.Matches(labels.Set(objectLabels(obj))), nil
	}
	if s.Namespace == "" {
		return true, nil
	}
	if get == nil {
		return false, nil
	}
	ns, err := get(ctx, s.Namespace)
	if err != nil {
		return false, err
	}
	return selector.Matches(labels.Set(ns.Labels)), nil
}

func objectLabels(obj runtime.Object) map[string]string {
	if obj == nil {
		return nil
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil
	}
	return m.GetLabels()
}
