package admission

import (
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

// forbidden is upstream's admission denial: 403 `<resource> "<name>" is forbidden:
// <err>`. The name falls back to the object's generateName, then "Unknown"; an err
// that is already a Forbidden status is returned as it is.
func forbidden(a *endpoints.Attributes, err error) error {
	if apierrors.IsForbidden(err) {
		return err
	}
	name := a.Name
	if name == "" {
		name = "Unknown"
		if a.Object != nil {
			if acc, aerr := meta.Accessor(a.Object); aerr != nil {
				name = "Unknown/errorGettingName"
			} else if acc.GetName() != "" {
				name = acc.GetName()
			} else if acc.GetGenerateName() != "" {
				name = acc.GetGenerateName()
			}
		}
	}
	return apierrors.NewForbidden(a.Resource.GroupResource(), name, err)
}
