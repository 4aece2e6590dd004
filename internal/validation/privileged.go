package validation

import (
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// allowPrivileged is kube-apiserver's --allow-privileged, a process-wide setting
// there too.
var allowPrivileged atomic.Bool

// SetAllowPrivileged sets whether pod specs (of pods and of templates) may ask for
// privileged containers. Off, upstream's default, they are refused as
// "disallowed by cluster policy".
func SetAllowPrivileged(allow bool) { allowPrivileged.Store(allow) }

// Privileged refuses a privileged container unless the cluster allows them.
func Privileged(sc *corev1.SecurityContext, fldPath *field.Path) field.ErrorList {
	if sc == nil || sc.Privileged == nil || !*sc.Privileged || allowPrivileged.Load() {
		return nil
	}
	return field.ErrorList{field.Forbidden(fldPath.Child("privileged"), "disallowed by cluster policy")}
}
