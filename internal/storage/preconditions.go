package storage

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// Check reports whether obj, stored at key, meets the preconditions; a nil p is
// always met. A UID mismatch is a failed precondition, a resourceVersion mismatch a
// conflict, as upstream.
func (p *Preconditions) Check(key string, obj runtime.Object) error {
	if p == nil {
		return nil
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	if p.UID != nil && *p.UID != acc.GetUID() {
		return NewError(CodePreconditionFailed, key,
			"Precondition failed: UID in precondition: %v, UID in object meta: %v", *p.UID, acc.GetUID())
	}
	if p.ResourceVersion != nil && *p.ResourceVersion != acc.GetResourceVersion() {
		return NewError(CodeConflict, key,
			"Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v",
			*p.ResourceVersion, acc.GetResourceVersion())
	}
	return nil
}
