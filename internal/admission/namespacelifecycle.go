package admission

import (
	"context"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

// NamespaceGetter reads a namespace.
type NamespaceGetter func(ctx context.Context, name string) (runtime.Object, error)

// NamespaceLifecycle refuses new objects in a namespace that does not exist (404) or
// is being terminated (403), as upstream's plugin of the same name.
type NamespaceLifecycle struct {
	Get NamespaceGetter
}

var _ endpoints.Admission = NamespaceLifecycle{}

// Mutate does nothing; the plugin only validates.
func (NamespaceLifecycle) Mutate(context.Context, *endpoints.Attributes) error { return nil }

// Validate implements endpoints.Admission.
func (p NamespaceLifecycle) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if a.Operation != "CREATE" || a.Namespace == "" || a.Resource.Resource == "namespaces" {
		return nil
	}
	obj, err := p.Get(ctx, a.Namespace)
	if apierrors.IsNotFound(err) {
		return apierrors.NewNotFound(corev1.Resource("namespaces"), a.Namespace)
	}
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	ns, ok := obj.(*corev1.Namespace)
	if ok && (ns.Status.Phase == corev1.NamespaceTerminating || ns.DeletionTimestamp != nil) {
		msg := fmt.Sprintf("unable to create new content in namespace %s because it is being terminated", a.Namespace)
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden,
			Message: fmt.Sprintf("%s %q is forbidden: %s", a.Resource.Resource, a.Name, msg),
			Details: &metav1.StatusDetails{Name: a.Name, Group: a.Resource.Group, Kind: a.Resource.Resource,
				Causes: []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause, Message: msg, Field: "metadata.namespace"}}},
		}}
	}
	return nil
}
