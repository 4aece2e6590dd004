package registry

import (
	"context"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/storage"
)

// KeyRoot returns the etcd key prefix of all of r's objects: <prefix>/<KeyPrefix>/.
func (s *Store) KeyRoot() string { return s.prefix + "/" + s.res.KeyPrefix + "/" }

// listKey is the key prefix a list in namespace ns (all when "") reads.
func (s *Store) listKey(ns string) string {
	if s.res.Namespaced && ns != "" {
		return s.KeyRoot() + ns + "/"
	}
	return s.KeyRoot()
}

// objectKey is the etcd key of one object.
func (s *Store) objectKey(ns, name string) string {
	if s.res.Namespaced {
		return s.KeyRoot() + ns + "/" + name
	}
	return s.KeyRoot() + name
}

func (s *Store) groupResource() schema.GroupResource {
	return schema.GroupResource{Group: s.res.GroupVersion.Group, Resource: s.res.Name}
}

// toAPIError maps a storage error to the Status error kube-apiserver returns for it.
// Errors that already are API errors pass through.
func (s *Store) toAPIError(err error, name string) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(apierrors.APIStatus); ok {
		return err
	}
	gr := s.groupResource()
	switch {
	case storage.HasCode(err, storage.CodeNotFound):
		return apierrors.NewNotFound(gr, name)
	case storage.HasCode(err, storage.CodeKeyExists):
		return apierrors.NewAlreadyExists(gr, name)
	case storage.HasCode(err, storage.CodeConflict), storage.HasCode(err, storage.CodePreconditionFailed):
		return apierrors.NewConflict(gr, name, err)
	case storage.HasCode(err, storage.CodeExpired):
		return apierrors.NewResourceExpired(err.Error())
	case storage.HasCode(err, storage.CodeTooLargeResourceVersion):
		st := apierrors.NewTimeoutError(err.Error(), 1)
		st.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: metav1.CauseTypeResourceVersionTooLarge, Message: "Too large resource version"}}
		return st
	case storage.HasCode(err, storage.CodeInvalidObj):
		return apierrors.NewBadRequest(err.Error())
	case storage.HasCode(err, storage.CodeUnreachable):
		return apierrors.NewServiceUnavailable(err.Error())
	case err == context.DeadlineExceeded:
		return apierrors.NewTimeoutError("request did not complete within the allotted timeout", 0)
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusInternalServerError,
		Reason: metav1.StatusReasonInternalError, Message: err.Error(),
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Message: err.Error()}}},
	}}
}
