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

func init() {
	Factories["NamespaceLifecycle"] = func(d Deps, _ []byte) (any, error) {
		return NamespaceLifecycle{Get: func(ctx context.Context, name string) (runtime.Object, error) {
			r := d.Readers(namespacesGVR)
			if r == nil {
				return nil, errNotServed
			}
			obj, err := r.Get(ctx, "", name, &metav1.GetOptions{ResourceVersion: "0"})
			if apierrors.IsNotFound(err) {
				// The cache may lag a namespace created a moment ago: ask storage.
				return r.Get(ctx, "", name, &metav1.GetOptions{})
			}
			return obj, err
		}}, nil
	}
}

// NamespaceGetter reads a namespace.
type NamespaceGetter func(ctx context.Context, name string) (runtime.Object, error)

// NamespaceLifecycle refuses new objects in a namespace that does not exist (404) or
// is being terminated (403), and the deletion of the namespaces the system needs, as
// upstream's plugin of the same name.
type NamespaceLifecycle struct {
	Get NamespaceGetter
}

// immortalNamespaces may never be deleted.
var immortalNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true}

// Admit implements Mutator: upstream runs the plugin in the mutating phase, before
// any plugin that would look things up in the namespace.
func (p NamespaceLifecycle) Admit(ctx context.Context, a *endpoints.Attributes) error {
	if a.Operation == "DELETE" && a.Resource.Resource == "namespaces" && a.Subresource == "" && immortalNamespaces[a.Name] {
		return forbidden(a, fmt.Errorf("this namespace may not be deleted"))
	}
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
				Causes: []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause, Field: "metadata.namespace",
					Message: fmt.Sprintf("namespace %s is being terminated", a.Namespace)}}},
		}}
	}
	return nil
}
